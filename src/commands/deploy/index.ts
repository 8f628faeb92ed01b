/** `deploy --env <e> [--ref <r>] [--timeout <d>]`: render, apply, verify, restore on failure. */

import { withDeployComment } from '../../adapters/forges/index.js';
import { gitContext, hasOrigin, resolveRef, revParse, showFile } from '../../adapters/git.js';
import { uncommittedChanges } from '../../adapters/git-tree.js';
import { overlayFile } from '../../adapters/overlay.js';
import { loadConfig, repoDir } from '../../adapters/repo.js';
import { withRepoLock } from '../../adapters/repo-lock.js';
import { clampTimeout } from '../../core/bounds.js';
import { getEnvironment } from '../../core/config.js';
import { parseDuration } from '../../core/duration.js';
import { GitopsError, invalid } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { parseKustomization, readImages } from '../../core/kustomization.js';
import {
  type Applied,
  type DeployResult,
  deployManifest,
  renderEnv,
  renderPath,
  restoreLastGood,
  restoreReason,
} from '../../steps/deploy/release.js';
import type { EngineStep } from '../../steps/engine/engine.js';
import { runPipeline } from '../../steps/engine/engine.js';
import { initialScope, verbSteps } from '../../steps/engine/resolve.js';
import { recordRelease } from '../../steps/record/verified.js';

export interface DeployOptions {
  repoDir?: string;
  env: string;
  ref?: string;
  timeout?: string;
  out?: string;
  /** The ref whose render is re-applied when the rollout fails; default: the parent of `ref`. */
  lastGood?: string;
}

/** What a deploy did; `applied` (absent in dry-run) lets a later `restore-last-good` step put it back. */
export interface DeployOutcome {
  env: string;
  commit: string;
  manifest: string;
  workloads: string[];
  applied?: Applied;
}

export async function deploy(o: DeployOptions, ctx: CommandContext): Promise<DeployOutcome> {
  const root = repoDir(ctx, o.repoDir);
  // In a merge request pipeline, the result (success or failure) is commented on the merge request.
  return withDeployComment({ env: o.env, config: () => loadConfig(root) }, ctx, () =>
    withRepoLock(root, ctx, () => deployLocked(o, root, ctx)),
  );
}

async function deployLocked(o: DeployOptions, root: string, ctx: CommandContext): Promise<DeployOutcome> {
  const timeoutMs = o.timeout ? clampTimeout(parseDuration(o.timeout, '--timeout')) : undefined;
  const config = await loadConfig(root);
  const env = getEnvironment(config, o.env);
  const g = gitContext(ctx, root);
  if (!o.ref) {
    const dirty = await uncommittedChanges(g);
    if (dirty.length > 0) {
      throw invalid(
        'WORKTREE_DIRTY',
        'The env repo has uncommitted changes; deploy applies commits only.',
        'Commit (or stash) the changes, or pass --ref <commit> to deploy a specific commit.',
        undefined,
        dirty,
      );
    }
  }
  const ref = await resolveRef(o.ref ?? 'HEAD', g);
  // A --last-good that does not resolve is a mistake to report, not a reason to restore nothing.
  const lastGoodRef = o.lastGood !== undefined ? await resolveRef(o.lastGood, g) : await revParse(`${ref}^`, g);
  const lastGood = lastGoodRef
    ? { ref: lastGoodRef, render: () => renderEnv({ root, env, ref: lastGoodRef }, ctx) }
    : undefined;
  let manifest = '';
  let applied: Applied | undefined;
  let result: DeployResult | undefined;
  const impl: Record<string, EngineStep['run']> = {
    render: async () => {
      manifest = await renderEnv({ root, env, ref }, ctx);
      return 'succeeded';
    },
    deploy: async () => {
      result = await deployManifest(
        {
          root,
          env,
          manifest,
          manifestPath: renderPath(root, env.name, o.out),
          timeoutMs: timeoutMs ?? env.timeoutMs,
          ...(lastGood && { lastGood }),
        },
        ctx,
        (a) => (applied = a),
      );
      return {
        result: 'succeeded',
        outputs: {
          commit: ref,
          manifest: result.manifestPath,
          workloads: result.workloads.map((w) => `${w.kind}/${w.name}`).join(','),
        },
      };
    },
    'restore-last-good': async (state) => {
      if (!applied) return 'skipped';
      const lines = await restoreLastGood(applied, restoreReason(state.error), ctx);
      if (state.error instanceof GitopsError) state.error.details.push(...lines);
      return 'succeeded';
    },
    'record/verified': async () => {
      if (ctx.opts.dryRun) return 'skipped';
      const rel = overlayFile(root, env).rel;
      const text = await showFile(ref, rel, g);
      const pushNotes = await hasOrigin(g);
      await recordRelease(
        {
          root,
          tree: root,
          env,
          commit: ref,
          entries: text ? readImages(parseKustomization(text, rel)) : [],
          push: pushNotes,
        },
        ctx,
      );
      return 'succeeded';
    },
  };
  const c = { ctx, root, config, environment: env };
  await runPipeline(verbSteps('deploy', impl, c), initialScope(c, { env: env.name, ref }, 'deploy'), ctx.log);
  const r = result as DeployResult;
  const summary = {
    env: env.name,
    commit: ref,
    manifest: r.manifestPath,
    applied: r.applied,
    workloads: r.workloads.map((w) => `${w.kind}/${w.name}`),
    dryRun: ctx.opts.dryRun,
  };
  if (ctx.opts.json) ctx.log.result(JSON.stringify(summary, null, 2));
  ctx.log.info(
    ctx.opts.dryRun
      ? `Dry run of ${env.name} at ${ref.slice(0, 12)}: the API server accepted ${r.applied.length} object(s); nothing was changed.`
      : `Deployed ${env.name} at ${ref.slice(0, 12)}: ${r.workloads.length} workload(s) ready.`,
  );
  return {
    env: env.name,
    commit: ref,
    manifest: r.manifestPath,
    workloads: summary.workloads,
    ...(applied && { applied }),
  };
}
