/**
 * `restore --env <e> | --all-envs --at <ref | ISO-8601 time>`: disaster recovery. Bring the env back as
 * git had it then — the overlay and everything it references (overlay/restore) — apply it, verify, and
 * record the state as a new commit so git and cluster agree again.
 */
import { repoDir } from '../../adapters/repo.js';
import { clampTimeout } from '../../core/bounds.js';
import { type Environment, getEnvironment, type ResolvedConfig } from '../../core/config.js';
import { parseDuration } from '../../core/duration.js';
import { invalid, quote } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { isTime } from '../../core/plans.js';
import { loadConfig } from '../../steps/config.js';
import { resultOf } from '../../steps/context.js';
import { runRelease } from '../../steps/engine/release.js';
import { STEPS } from '../../steps/registry.js';
import type { ReleaseResult } from '../../steps/types.js';

export interface RestoreOptions {
  repoDir?: string;
  env?: string;
  allEnvs?: boolean;
  at: string;
  deploy?: boolean;
  push?: boolean;
  timeout?: string;
  /** Also change files other environments read (implied by --all-envs: every env is restored). */
  includeShared?: boolean;
}

export type RestoreResult = ReleaseResult & {
  env: string;
  at: string;
  images: Record<string, string>;
  paths: string[];
};

export async function restore(o: RestoreOptions, ctx: CommandContext): Promise<RestoreResult[]> {
  const root = repoDir(ctx, o.repoDir);
  const timeoutMs = o.timeout ? clampTimeout(parseDuration(o.timeout, '--timeout')) : undefined;
  const config = await loadConfig(root);
  if (Boolean(o.env) === Boolean(o.allEnvs))
    throw invalid(
      'RESTORE_TARGET',
      'Pass exactly one of --env <env> or --all-envs.',
      'e.g. gitops-flow restore --env prod --at 2026-10-01T12:00Z',
    );
  const envs = o.allEnvs
    ? config.order.map((n) => getEnvironment(config, n))
    : [getEnvironment(config, o.env as string)];
  if (isTime(o.at) && Number.isNaN(Date.parse(o.at)))
    throw invalid(
      'TIME_INVALID',
      `Invalid time ${quote(o.at)}.`,
      'Use ISO 8601, e.g. 2026-10-01T12:00Z, or a commit.',
      o.at,
    );
  const results: RestoreResult[] = [];
  for (const env of envs) results.push(await restoreEnv(env, config, root, o, timeoutMs, ctx));
  if (ctx.opts.json) ctx.log.result(JSON.stringify(results, null, 2));
  return results;
}

async function restoreEnv(
  env: Environment,
  config: ResolvedConfig,
  root: string,
  o: RestoreOptions,
  timeoutMs: number | undefined,
  ctx: CommandContext,
): Promise<RestoreResult> {
  const rc = await runRelease(
    {
      root,
      config,
      env,
      plan: { verb: 'restore', at: o.at, ...((o.includeShared || o.allEnvs) && { includeShared: true }) },
      deploy: o.deploy !== false,
      alwaysDeploy: true,
      push: o.push !== false,
      ...(timeoutMs && { timeoutMs }),
    },
    ctx,
    STEPS,
  );
  const result = resultOf(rc);
  const target = rc.change.target ?? '';
  const paths = rc.change.referenced ?? [];
  ctx.log.info(
    result.changed || result.deployed
      ? `Restored ${env.name} as of ${target.slice(0, 12)} (${paths.join(', ')})${result.deployed ? ', verified' : ''}${result.pushed ? ', pushed' : ''}.`
      : `No change: ${env.name} already equals its state at ${target.slice(0, 12)}.`,
  );
  return { env: env.name, at: target, images: rc.change.images, paths, ...result };
}
