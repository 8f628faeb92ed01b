/**
 * `rollback`: the rollback verb's release — the env's overlay back to its previous release or `to`
 * (overlay/rollback, which pins the env), commit, deploy and verify, push, record — as
 * `gitops-flow rollback` runs it and as `uses: rollback` runs it in a pipeline of gitops-flow.yaml.
 */
import { gitContext, resolveRef } from '../adapters/git.js';
import { loadConfig } from '../adapters/repo.js';
import { clampTimeout } from '../core/bounds.js';
import { getEnvironment } from '../core/config.js';
import { parseDuration } from '../core/duration.js';
import type { CommandContext } from '../core/io.js';
import { rollbackSummary } from '../core/plans.js';
import { resultOf } from './context.js';
import { runRelease } from './engine/release.js';
import { flag, given } from './promote.js';
import { catalogueOf, type ReleaseResult, type Step } from './types.js';

export interface RollbackOptions {
  /** The env repo working copy, absolute. */
  root: string;
  env: string;
  to?: string;
  deploy?: boolean;
  push?: boolean;
  timeout?: string;
  reason?: string;
  /** Also change files other environments read. */
  includeShared?: boolean;
}

export type RollbackResult = ReleaseResult & { env: string; to: string; images: Record<string, string> };

/** Rolls the env back and says so (the verb's --json document is the caller's). */
export async function rollbackRelease(
  o: RollbackOptions,
  ctx: CommandContext,
  steps: ReadonlyMap<string, Step>,
): Promise<RollbackResult> {
  const timeoutMs = o.timeout ? clampTimeout(parseDuration(o.timeout, '--timeout')) : undefined;
  const config = await loadConfig(o.root, catalogueOf(steps));
  const env = getEnvironment(config, o.env);
  if (o.to) await resolveRef(o.to, gitContext(ctx, o.root));
  const rc = await runRelease(
    {
      root: o.root,
      config,
      env,
      plan: {
        verb: 'rollback',
        ...(o.to && { to: o.to }),
        ...(o.reason && { reason: o.reason }),
        ...(o.includeShared && { includeShared: true }),
      },
      deploy: o.deploy !== false,
      push: o.push !== false,
      ...(timeoutMs && { timeoutMs }),
    },
    ctx,
    steps,
  );
  const result = resultOf(rc);
  const target = rc.change.target ?? '';
  ctx.log.info(rollbackSummary(env.name, target, result));
  return { env: env.name, to: target, images: rc.change.images, ...result };
}

export const rollback: Step = {
  name: 'rollback',
  summary: 'the rollback verb as one step',
  inputs: {
    env: { description: 'environment', required: true },
    to: { description: 'commit whose overlay to bring back' },
    reason: { description: 'recorded in the pin' },
    deploy: { description: "'false': commit (and push) without deploying", default: 'true' },
    push: { description: "'false': commit and deploy without pushing", default: 'true' },
    timeout: { description: "how long to wait for workloads, e.g. 5m (default: the environment's verify.timeout)" },
  },
  outputs: {
    commit: 'the commit at HEAD afterwards',
    changed: "'true' when a commit was made",
    pushed: "'true' when it landed on the remote",
  },
  async use(p, w) {
    // Its own --json document would interleave with the pipeline's.
    const quiet: CommandContext = { ...p.cmd, opts: { ...p.cmd.opts, json: false } };
    const r = await rollbackRelease(
      {
        root: p.root,
        env: w.env as string,
        ...(given(w.to) && { to: w.to }),
        ...(given(w.reason) && { reason: w.reason }),
        deploy: flag(w, 'deploy', 'rollback', true),
        push: flag(w, 'push', 'rollback', true),
        ...(given(w.timeout) && { timeout: w.timeout }),
      },
      quiet,
      p.steps,
    );
    return {
      result: r.changed || r.pushed ? 'succeeded' : 'skipped',
      outputs: { commit: r.commit, changed: String(r.changed), pushed: String(r.pushed) },
    };
  },
};
