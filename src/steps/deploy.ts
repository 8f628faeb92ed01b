/**
 * `deploy`: server-side apply the render, verify every object and prune. Inside a release (promote,
 * rollback, restore) it deploys HEAD once something changed; the deploy verb's pipeline (render, deploy,
 * record/verified, restore-last-good) deploys the commit it was given. `uses: deploy` in a pipeline of
 * gitops-flow.yaml runs that same pipeline for its `env` and `ref`: what `gitops-flow deploy` does.
 */
import { withDeployComment } from '../adapters/forges/index.js';
import { aheadOfRemote, gitContext, hasOrigin, resolveRef, revParse } from '../adapters/git.js';
import { uncommittedChanges } from '../adapters/git-tree.js';
import { preloadKubeClient } from '../adapters/kube-api.js';
import { loadConfig } from '../adapters/repo.js';
import { withRepoLock } from '../adapters/repo-lock.js';
import { clampTimeout } from '../core/bounds.js';
import { getEnvironment, withVerifyFlags } from '../core/config.js';
import { parseDuration } from '../core/duration.js';
import { invalid } from '../core/errors.js';
import type { CommandContext } from '../core/io.js';
import { releaseContext } from './context.js';
import { type DeployResult, deployManifest, deployOrRestore, renderEnv, renderPath } from './deploy/release.js';
import { runPipeline } from './engine/engine.js';
import { initialScope, verbSteps } from './engine/resolve.js';
import { catalogueOf, configOf, envOf, type ReleaseContext, type Step } from './types.js';

/**
 * Deploys the env at HEAD; the last good state is the remote tip's render (before our commits). A
 * replay (on a newer tip, inside git/push) restores a failed rollout on its own; any other failure is
 * left to restore-last-good, which runs after every step that could fail before the push lands.
 */
async function deployHead(rc: ReleaseContext, replay: boolean): Promise<void> {
  const { cmd } = rc;
  const env = envOf(rc);
  // In dry-run nothing is committed, so the working tree holds the change.
  const manifest = await renderEnv({ root: rc.tree, env, ...(!cmd.opts.dryRun && { ref: 'HEAD' }) }, cmd);
  const goodRef =
    (rc.remote && (await revParse(`refs/remotes/origin/${configOf(rc).targetBranch}`, rc.git))) ||
    (await revParse('HEAD^', rc.git));
  const lastGood = goodRef
    ? { ref: goodRef, render: () => renderEnv({ root: rc.tree, env, ref: goodRef }, cmd) }
    : undefined;
  const p = {
    root: rc.tree,
    env,
    manifest,
    manifestPath: rc.deployed.manifestPath,
    timeoutMs: rc.options.timeoutMs ?? env.timeoutMs,
    ...(lastGood && { lastGood }),
  };
  const applied = (a: ReleaseContext['deployed']['applied']) => {
    rc.deployed.applied = a;
  };
  // A replay deploys on top of a newer tip: what a later restore puts back is that tip's render.
  if (replay) await deployOrRestore(p, cmd, applied);
  else await deployManifest(p, cmd, applied);
  rc.deployed.manifest = manifest;
}

/** A commit given to deploy (the deploy verb): its render, made by the `render` step before. */
async function deployRef(rc: ReleaseContext): Promise<DeployResult> {
  const env = envOf(rc);
  const r = await deployManifest(
    {
      root: rc.tree,
      env,
      manifest: rc.deployed.manifest ?? '',
      manifestPath: rc.deployed.manifestPath,
      timeoutMs: rc.options.timeoutMs ?? env.timeoutMs,
      ...(rc.deployed.lastGood && { lastGood: rc.deployed.lastGood }),
    },
    rc.cmd,
    (a) => {
      rc.deployed.applied = a;
    },
  );
  rc.deployed.result = r;
  return r;
}

export interface DeployOptions {
  repoDir?: string;
  env: string;
  ref?: string;
  timeout?: string;
  out?: string;
  /** The ref whose render is re-applied when the rollout fails; default: the parent of `ref`. */
  lastGood?: string;
  /** false (--no-fail-fast): wait to the deadline whatever the pods do. */
  failFast?: boolean;
  /** --json-events: the live report as JSON events on stderr. */
  jsonEvents?: boolean;
}

/** The deploy verb's release: its pipeline on the env at `ref`, under the lock, commented on its merge request. */
export function deployRelease(
  o: DeployOptions & { repoDir: string },
  ctx: CommandContext,
  steps: ReadonlyMap<string, Step>,
): Promise<ReleaseContext> {
  const root = o.repoDir;
  // In a merge request pipeline, the result (success or failure) is commented on the merge request.
  return withDeployComment({ env: o.env, config: () => loadConfig(root, catalogueOf(steps)) }, ctx, async () => {
    const rc = await withRepoLock(root, ctx, () => deployLocked(o, root, ctx, steps));
    const workloads = (rc.deployed.result?.workloads ?? []).map((w) => `${w.kind}/${w.name}`);
    return { rc, commit: rc.deployed.ref ?? '', workloads };
  }).then((r) => r.rc);
}

async function deployLocked(
  o: DeployOptions,
  root: string,
  ctx: CommandContext,
  steps: ReadonlyMap<string, Step>,
): Promise<ReleaseContext> {
  if (!ctx.opts.dryRun) preloadKubeClient().catch(() => undefined);
  const timeoutMs = o.timeout ? clampTimeout(parseDuration(o.timeout, '--timeout')) : undefined;
  const config = await loadConfig(root, catalogueOf(steps));
  const env = withVerifyFlags(getEnvironment(config, o.env), o);
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
  const remote = await hasOrigin(g);
  const rc = releaseContext({
    cmd: ctx,
    verb: 'deploy',
    plan: { verb: 'deploy', ref },
    root,
    tree: root,
    config,
    env,
    branch: config.targetBranch,
    remote,
    // The commit deployed is shared through origin: its verification record goes there too.
    options: { deploy: true, push: false, sync: false, pushRecord: remote, ...(timeoutMs && { timeoutMs }) },
    steps,
    manifestPath: renderPath(root, env.name, o.out),
  });
  rc.deployed.ref = ref;
  if (lastGoodRef)
    rc.deployed.lastGood = { ref: lastGoodRef, render: () => renderEnv({ root, env, ref: lastGoodRef }, ctx) };
  const c = { ctx, root, config, environment: env };
  await runPipeline(verbSteps('deploy', rc, c), initialScope(c, { env: env.name, ref }, 'deploy'), ctx.log);
  deploySummary(rc);
  return rc;
}

/** `release-verb outputs` of a deploy: the commit, the manifest kept, the workloads verified. */
function outputsOf(rc: ReleaseContext): Record<string, string> {
  const r = rc.deployed.result;
  return {
    commit: rc.deployed.ref ?? '',
    manifest: r?.manifestPath ?? '',
    workloads: (r?.workloads ?? []).map((w) => `${w.kind}/${w.name}`).join(','),
  };
}

const text = (v: string | undefined) => (v === '' ? undefined : v);

export const deploy: Step = {
  name: 'deploy',
  summary:
    'server-side apply the render, verify every object, prune what it dropped; a failed rollout re-applies the last good render',
  inputs: {
    env: { description: 'environment', required: true },
    ref: { description: 'commit to deploy', default: 'HEAD' },
    timeout: { description: "how long to wait for workloads, e.g. 5m (default: the environment's verify.timeout)" },
  },
  outputs: {
    commit: 'the commit deployed',
    manifest: 'path of the rendered manifest',
    workloads: 'the workloads verified, comma-separated',
  },
  async run(rc) {
    if (rc.replaying) {
      // git/push replayed the change on a newer tip: deploy again only when that changed the render.
      if (!rc.options.deploy) return 'skipped';
      const now = await renderEnv({ root: rc.tree, env: envOf(rc), ref: 'HEAD' }, rc.cmd);
      if (now === rc.deployed.manifest) return 'skipped';
      await deployHead(rc, true);
      return 'succeeded';
    }
    if (rc.deployed.ref !== undefined) {
      await deployRef(rc);
      rc.result.deployed = !rc.cmd.opts.dryRun;
      return { result: 'succeeded', outputs: outputsOf(rc) };
    }
    const due = rc.options.alwaysDeploy || rc.result.changed || (rc.remote && (await aheadOfRemote(rc.branch, rc.git)));
    if (!rc.options.deploy || !due) return 'skipped';
    await deployHead(rc, false);
    rc.result.deployed = !rc.cmd.opts.dryRun;
    return 'succeeded';
  },
  async use(p, w) {
    // Its own --json document would interleave with the pipeline's.
    const quiet: CommandContext = { ...p.cmd, opts: { ...p.cmd.opts, json: false } };
    const rc = await deployRelease(
      {
        repoDir: p.root,
        env: w.env as string,
        ...(text(w.ref) && { ref: w.ref }),
        ...(text(w.timeout) && { timeout: w.timeout }),
      },
      quiet,
      p.steps,
    );
    p.lastApplied = rc.deployed.applied;
    return { result: 'succeeded', outputs: outputsOf(rc) };
  },
};

/** The deploy verb's closing line (and --json document). */
function deploySummary(rc: ReleaseContext): void {
  const { cmd } = rc;
  const r = rc.deployed.result as DeployResult;
  const env = envOf(rc);
  const ref = rc.deployed.ref ?? '';
  const summary = {
    env: env.name,
    commit: ref,
    manifest: r.manifestPath,
    applied: r.applied,
    workloads: r.workloads.map((w) => `${w.kind}/${w.name}`),
    dryRun: cmd.opts.dryRun,
  };
  if (cmd.opts.json) cmd.log.result(JSON.stringify(summary, null, 2));
  cmd.log.info(
    cmd.opts.dryRun
      ? `Dry run of ${env.name} at ${ref.slice(0, 12)}: the API server accepted ${r.applied.length} object(s); nothing was changed.`
      : `Deployed ${env.name} at ${ref.slice(0, 12)}: ${r.workloads.length} workload(s) ready.`,
  );
}
