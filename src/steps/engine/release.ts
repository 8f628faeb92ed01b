/**
 * The one flow behind promote, rollback and restore: sync with the remote, edit the working tree,
 * commit, deploy and verify, push (replaying the edit on a newer tip when someone pushed first), and
 * record what was verified. A release that does not land leaves no local commit behind. In dry-run
 * the whole flow runs in a throwaway worktree: nothing of the user's working copy changes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  commit,
  countCommits,
  fetch,
  type GitContext,
  gitContext,
  hasOrigin,
  isAncestor,
  mergeFastForward,
  revParse,
} from '../../adapters/git.js';
import { addWorktree, removeWorktree, resetKeep } from '../../adapters/git-tree.js';
import { readOverlayImages } from '../../adapters/overlay.js';
import { type RepoLock, withRepoLock } from '../../adapters/repo-lock.js';
import type { Verb } from '../../core/builtin-steps.js';
import type { Environment, ResolvedConfig } from '../../core/config.js';
import { GitopsError, invalid } from '../../core/errors.js';
import type { Value } from '../../core/expressions.js';
import type { CommandContext } from '../../core/io.js';
import {
  type Applied,
  deployManifest,
  deployOrRestore,
  renderEnv,
  renderPath,
  restoreLastGood,
  restoreReason,
} from '../deploy/release.js';
import { identity, pushWithReplay } from '../git/push.js';
import { recordRelease } from '../record/verified.js';
import { discardHalfMadeChange } from './crash-recovery.js';
import { type EngineStep, runPipeline } from './engine.js';
import { initialScope, verbSteps } from './resolve.js';
import { checkWorkingCopy } from './working-copy.js';

export interface ReleasePlan {
  /** The env repo working copy. */
  root: string;
  config: ResolvedConfig;
  /** The environment that is deployed. */
  env: Environment;
  /** The verb: its default pipeline (src/core/verb-pipelines.ts) orders the steps, its hooks are added. */
  verb: Verb;
  /** What `inputs.*` reads in the verb's hooks, e.g. { from: 'dev', to: 'uat' }. */
  inputs?: Record<string, Value>;
  /** Name of the edit step, e.g. `images/copy`. */
  editStep: string;
  /** Makes the change in the tree at `root`; returns the repo-relative paths to commit ([]: no change). */
  edit(root: string): Promise<string[]>;
  message(): string;
  deploy: boolean;
  /** Deploy even when git has nothing new (restore: the cluster is what is being brought back). */
  alwaysDeploy?: boolean;
  push: boolean;
  timeoutMs?: number;
}

export interface ReleaseResult {
  changed: boolean;
  deployed: boolean;
  pushed: boolean;
  pushAttempts: number;
  commit: string;
}

interface State {
  root: string;
  g: GitContext;
  hasRemote: boolean;
  paths: string[];
  deployedManifest?: string;
  /** What the deploy step applied: the cluster changed, so a later failure puts it back. */
  applied?: Applied;
  result: ReleaseResult;
}

/** Runs the release holding the working copy's lock, so two local runs never interleave. */
export function runRelease(plan: ReleasePlan, ctx: CommandContext): Promise<ReleaseResult> {
  return withRepoLock(plan.root, ctx, (lock) => release(plan, ctx, lock));
}

async function release(plan: ReleasePlan, ctx: CommandContext, lock: RepoLock): Promise<ReleaseResult> {
  const userG = gitContext(ctx, plan.root);
  if (lock.tookOverFrom && !ctx.opts.dryRun)
    await discardHalfMadeChange({ root: plan.root, env: plan.env, from: lock.tookOverFrom }, userG);
  const hasRemote = await hasOrigin(userG);
  const branch = plan.config.targetBranch;
  const sync = hasRemote && plan.push;
  if (sync) await checkWorkingCopy(branch, userG);
  let root = plan.root;
  let scratch: string | undefined;
  if (ctx.opts.dryRun) {
    // Everything below happens in a throwaway worktree at the remote tip (or HEAD).
    if (sync) await fetch({ remote: 'origin', branch }, { ...userG, dryRun: false });
    scratch = await mkdtemp(join(tmpdir(), 'gitops-flow-dry-run-'));
    root = join(scratch, 'repo');
    await addWorktree(root, sync ? `refs/remotes/origin/${branch}` : 'HEAD', userG);
  }
  const s: State = {
    root,
    g: gitContext(ctx, root),
    hasRemote,
    paths: [],
    result: { changed: false, deployed: false, pushed: false, pushAttempts: 0, commit: '' },
  };
  const impl: Record<string, EngineStep['run']> = {
    'git/sync': async () => {
      if (!sync || ctx.opts.dryRun) return 'skipped';
      await fastForward(branch, s.g);
      return 'succeeded';
    },
    [plan.editStep]: async () => {
      s.paths = await plan.edit(root);
      s.result.changed = s.paths.length > 0;
      return s.result.changed ? 'succeeded' : 'skipped';
    },
    'git/commit': async () => {
      if (!s.result.changed) return 'skipped';
      await commitChange(plan, s);
      return { result: 'succeeded', outputs: { commit: (await revParse('HEAD', s.g)) ?? '' } };
    },
    deploy: async () => {
      if (!plan.deploy || !(plan.alwaysDeploy || s.result.changed || (await unpushed(s, branch)))) return 'skipped';
      await deployHead(plan, s, ctx, false);
      s.result.deployed = !ctx.opts.dryRun;
      return 'succeeded';
    },
    'restore-last-good': async (state) => {
      // Once the push landed, git has this release: the cluster stays with it.
      if (!s.applied || s.result.pushed) return 'skipped';
      const lines = await restoreLastGood(s.applied, restoreReason(state.error), ctx);
      if (state.error instanceof GitopsError) state.error.details.push(...lines);
      s.result.deployed = false;
      return 'succeeded';
    },
    'git/push': async () => {
      if (!plan.push || !hasRemote || !(await unpushed(s, branch))) return 'skipped';
      const r = await pushWithReplay(
        {
          branch,
          onRetry: (n, why) =>
            ctx.log.info(`  push rejected (${why.trim()}); replaying on the new tip, attempt ${n + 1}`),
          replay: async () => {
            s.paths = await plan.edit(root);
            if (s.paths.length === 0) return false;
            await commitChange(plan, s);
            if (plan.deploy && (await renderEnv({ root, env: plan.env, ref: 'HEAD' }, ctx)) !== s.deployedManifest)
              await deployHead(plan, s, ctx, true);
            return true;
          },
        },
        s.g,
      );
      s.result.pushAttempts = r.attempts;
      s.result.pushed = r.landed && !ctx.opts.dryRun;
      return {
        result: r.landed ? 'succeeded' : 'skipped',
        outputs: { pushed: String(s.result.pushed), attempts: String(r.attempts) },
      };
    },
    'record/verified': async () => {
      if (!s.result.deployed || ctx.opts.dryRun) return 'skipped';
      const head = (await revParse('HEAD', s.g)) as string;
      await recordRelease(
        {
          root: plan.root,
          tree: root,
          env: plan.env,
          commit: head,
          entries: await readOverlayImages(root, plan.env),
          push: s.result.pushed,
        },
        ctx,
      );
      return 'succeeded';
    },
  };
  const c = { ctx, root, config: plan.config, environment: plan.env };
  const steps = verbSteps(plan.verb, impl, c);
  const before = await revParse('HEAD', s.g);
  try {
    await runPipeline(steps, initialScope(c, { env: plan.env.name, ...plan.inputs }, plan.verb), ctx.log);
  } catch (e) {
    // Nothing half-written: a release that did not land leaves no local commit behind.
    if (before && !s.result.pushed && !ctx.opts.dryRun) await resetKeep(before, s.g);
    throw e;
  } finally {
    if (scratch) {
      await removeWorktree(root, userG);
      await rm(scratch, { recursive: true, force: true });
    }
  }
  s.result.commit = ctx.opts.dryRun ? '' : ((await revParse('HEAD', s.g)) ?? '');
  return s.result;
}

async function commitChange(plan: ReleasePlan, s: State): Promise<void> {
  const author = await identity(plan.config, s.g);
  await commit({ paths: s.paths, message: plan.message(), ...(author && { author }) }, s.g);
}

async function fastForward(branch: string, g: GitContext): Promise<void> {
  await fetch({ remote: 'origin', branch }, g);
  const remote = `refs/remotes/origin/${branch}`;
  if (await isAncestor('HEAD', remote, g)) await mergeFastForward(remote, g);
  else if (!(await isAncestor(remote, 'HEAD', g))) {
    throw invalid(
      'BRANCH_DIVERGED',
      `Local ${branch} and origin/${branch} have diverged.`,
      `Rebase (git pull --rebase) or reset your local ${branch} first.`,
      branch,
    );
  }
}

/** Are there local commits the remote target branch does not have? */
async function unpushed(s: State, branch: string): Promise<boolean> {
  if (!s.hasRemote) return false;
  const remote = await revParse(`refs/remotes/origin/${branch}`, s.g);
  if (!remote) return true;
  return (await countCommits(`${remote}..HEAD`, s.g)) > 0;
}

/**
 * Deploys the env at HEAD; the last good state is the remote tip's render (before our commits). A
 * replay (on a newer tip, inside git/push) restores a failed rollout on its own; any other failure is
 * left to restore-last-good, which runs after every step that could fail before the push lands.
 */
async function deployHead(plan: ReleasePlan, s: State, ctx: CommandContext, replay: boolean): Promise<void> {
  // In dry-run nothing is committed, so the working tree holds the change.
  const manifest = await renderEnv({ root: s.root, env: plan.env, ...(!ctx.opts.dryRun && { ref: 'HEAD' }) }, ctx);
  const goodRef =
    (s.hasRemote && (await revParse(`refs/remotes/origin/${plan.config.targetBranch}`, s.g))) ||
    (await revParse('HEAD^', s.g));
  const lastGood = goodRef
    ? { ref: goodRef, render: () => renderEnv({ root: s.root, env: plan.env, ref: goodRef }, ctx) }
    : undefined;
  const p = {
    root: s.root,
    env: plan.env,
    manifest,
    manifestPath: renderPath(plan.root, plan.env.name),
    timeoutMs: plan.timeoutMs ?? plan.env.timeoutMs,
    ...(lastGood && { lastGood }),
  };
  // A replay deploys on top of a newer tip: what a later restore puts back is that tip's render.
  if (replay) await deployOrRestore(p, ctx, (a) => (s.applied = a));
  else await deployManifest(p, ctx, (a) => (s.applied = a));
  s.deployedManifest = manifest;
}
