/**
 * Runs a verb's pipeline on one release context: the flow behind promote, rollback, restore and unpin
 * (sync, edit, commit, deploy and verify, push, record) under the working copy's lock. A release that
 * does not land leaves no local commit behind. In dry-run the whole flow runs in a throwaway worktree:
 * nothing of the user's working copy changes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetch, gitContext, hasOrigin, revParse } from '../../adapters/git.js';
import { addWorktree, removeWorktree, resetKeep } from '../../adapters/git-tree.js';
import { preloadKubeClient } from '../../adapters/kube-api.js';
import { type RepoLock, withRepoLock } from '../../adapters/repo-lock.js';
import type { Environment, ResolvedConfig } from '../../core/config.js';
import type { Value } from '../../core/expressions.js';
import type { CommandContext } from '../../core/io.js';
import type { Plan } from '../../core/plans.js';
import { releaseContext } from '../context.js';
import { renderPath } from '../deploy/release.js';
import type { ReleaseContext, Step } from '../types.js';

import { discardHalfMadeChange } from './crash-recovery.js';
import { runPipeline } from './engine.js';
import { hasHooks, initialScope, verbSteps } from './resolve.js';
import { checkWorkingCopy } from './working-copy.js';

export interface ReleaseSpec {
  /** The env repo working copy. */
  root: string;
  config: ResolvedConfig;
  /** The environment that is released. */
  env: Environment;
  /** What the verb was asked; its verb names the pipeline (src/core/verb-pipelines.ts), whose hooks are added. */
  plan: Exclude<Plan, { verb: 'suggest' | 'deploy' }>;
  /** What `inputs.*` reads in the verb's hooks, e.g. { from: 'dev', to: 'uat' }. */
  inputs?: Record<string, Value>;
  deploy: boolean;
  /** Deploy even when git has nothing new (restore: the cluster is what is being brought back). */
  alwaysDeploy?: boolean;
  push: boolean;
  timeoutMs?: number;
}

/** Runs the release holding the working copy's lock, so two local runs never interleave. */
export function runRelease(
  spec: ReleaseSpec,
  ctx: CommandContext,
  steps: ReadonlyMap<string, Step>,
): Promise<ReleaseContext> {
  return withRepoLock(spec.root, ctx, (lock) => release(spec, ctx, steps, lock));
}

async function release(
  spec: ReleaseSpec,
  ctx: CommandContext,
  steps: ReadonlyMap<string, Step>,
  lock: RepoLock,
): Promise<ReleaseContext> {
  const userG = gitContext(ctx, spec.root);
  if (lock.tookOverFrom && !ctx.opts.dryRun)
    await discardHalfMadeChange({ root: spec.root, env: spec.env, from: lock.tookOverFrom }, userG);
  const remote = await hasOrigin(userG);
  const branch = spec.config.targetBranch;
  const sync = remote && spec.push;
  // git/sync's fetch writes only refs/remotes/origin/<branch>: it runs while the working copy is checked
  // (git status reads the index), unless a hook runs before git/sync (one might push first).
  const early = { ctx, root: spec.root, config: spec.config, environment: spec.env };
  const prefetch =
    sync && !ctx.opts.dryRun && !hasHooks(spec.plan.verb, early, 'before', 'git/sync')
      ? fetch({ remote: 'origin', branch }, userG)
      : undefined;
  prefetch?.catch(() => undefined);
  if (spec.deploy && !ctx.opts.dryRun) preloadKubeClient().catch(() => undefined);
  if (sync) await checkWorkingCopy(branch, userG);
  let tree = spec.root;
  let scratch: string | undefined;
  if (ctx.opts.dryRun) {
    // Everything below happens in a throwaway worktree at the remote tip (or HEAD).
    if (sync) await fetch({ remote: 'origin', branch }, { ...userG, dryRun: false });
    scratch = await mkdtemp(join(tmpdir(), 'gitops-flow-dry-run-'));
    tree = join(scratch, 'repo');
    await addWorktree(tree, sync ? `refs/remotes/origin/${branch}` : 'HEAD', userG);
  }
  const rc = releaseContext({
    cmd: ctx,
    verb: spec.plan.verb,
    plan: spec.plan,
    root: spec.root,
    tree,
    config: spec.config,
    env: spec.env,
    branch,
    remote,
    options: {
      deploy: spec.deploy,
      push: spec.push,
      sync,
      ...(prefetch && { prefetch }),
      ...(spec.alwaysDeploy && { alwaysDeploy: true }),
      ...(spec.timeoutMs && { timeoutMs: spec.timeoutMs }),
    },
    steps,
    manifestPath: renderPath(spec.root, spec.env.name),
  });
  const c = { ctx, root: tree, config: spec.config, environment: spec.env };
  const before = await revParse('HEAD', rc.git);
  try {
    await runPipeline(
      verbSteps(spec.plan.verb, rc, c),
      initialScope(c, { env: spec.env.name, ...spec.inputs }, spec.plan.verb),
      ctx.log,
    );
  } catch (e) {
    // Nothing half-written: a release that did not land leaves no local commit behind.
    if (before && !rc.result.pushed && !ctx.opts.dryRun) await resetKeep(before, rc.git);
    throw e;
  } finally {
    if (scratch) {
      await removeWorktree(tree, userG);
      await rm(scratch, { recursive: true, force: true });
    }
  }
  rc.result.commit = ctx.opts.dryRun ? '' : ((await revParse('HEAD', rc.git)) ?? '');
  return rc;
}
