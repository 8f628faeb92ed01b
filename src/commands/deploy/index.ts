/**
 * `deploy --env <e> [--ref <r>] [--timeout <d>]`: render, apply, verify, restore on failure — the
 * deploy pipeline of src/steps/deploy.ts (render, deploy, record/verified, restore-last-good).
 */
import { repoDir } from '../../adapters/repo.js';
import type { CommandContext } from '../../core/io.js';
import { type DeployOptions, deployRelease } from '../../steps/deploy.js';
import { STEPS } from '../../steps/registry.js';

export type { DeployOptions };

/** What a deploy did. */
export interface DeployOutcome {
  env: string;
  commit: string;
  manifest: string;
  workloads: string[];
}

export async function deploy(o: DeployOptions, ctx: CommandContext): Promise<DeployOutcome> {
  const rc = await deployRelease({ ...o, repoDir: repoDir(ctx, o.repoDir) }, ctx, STEPS);
  const r = rc.deployed.result;
  return {
    env: o.env,
    commit: rc.deployed.ref ?? '',
    manifest: r?.manifestPath ?? '',
    workloads: (r?.workloads ?? []).map((w) => `${w.kind}/${w.name}`),
  };
}
