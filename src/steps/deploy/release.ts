/** Render → apply → verify → (on failure) restore the last good render: shared by deploy and promote. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ExecError } from '../../adapters/exec-error.js';
import { getCredentials } from '../../adapters/gcloud.js';
import { gitContext, resolveRef } from '../../adapters/git.js';
import { exportTree } from '../../adapters/git-history.js';
import type { KubeApi } from '../../adapters/kube-api.js';
import type { ClusterTarget } from '../../adapters/kubectl.js';
import { build } from '../../adapters/kustomize.js';
import { requireDigests } from '../../adapters/registry/digests.js';
import { checkRenderInputs } from '../../adapters/render-inputs.js';
import { confine } from '../../adapters/repo.js';
import type { Environment } from '../../core/config.js';
import { failed, GitopsError, quote } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { renderFailureHint } from '../../core/render-hints.js';
import { parseManifest, type Workload, workloadsOf } from '../../core/workloads.js';
import { applyManifest, ensureNamespaces } from './apply-manifest.js';
import { applyDefinitionsFirst, definitionsFile } from './definitions.js';
import { listPrune, type Prefetched, prefetchInventory, pruneToRender, trackApplied } from './prune-step.js';
import { forceStatefulSetRollback } from './statefulset-rollback.js';
import { connectEarly, verifyObjects } from './verify-step.js';

/** Renders the env's overlay with the pinned kustomize, from the working tree or as it was at `ref`. */
export async function renderEnv(
  p: { root: string; env: Environment; ref?: string },
  ctx: CommandContext,
): Promise<string> {
  const tool = { env: ctx.io.env, log: ctx.log };
  try {
    if (p.ref === undefined) {
      await checkRenderInputs(p.root, p.env.overlay, p.env.remoteResources);
      return await build(confine(p.root, p.env.overlay, 'overlay'), tool, p.env.build);
    }
    const sha = await resolveRef(p.ref, gitContext(ctx, p.root));
    const tmp = await mkdtemp(join(tmpdir(), 'gitops-flow-render-'));
    try {
      await exportTree(sha, tmp, gitContext(ctx, p.root));
      await checkRenderInputs(tmp, p.env.overlay, p.env.remoteResources);
      return await build(confine(tmp, p.env.overlay, 'overlay'), tool, p.env.build);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    if (e instanceof ExecError) {
      throw failed(
        'RENDER_FAILED',
        `kustomize build of ${quote(p.env.overlay)}${p.ref ? ` at ${p.ref}` : ''} failed.`,
        renderFailureHint(e.stderr, p.env.name),
        e.stderr.trim().split('\n').slice(-10),
        e,
      );
    }
    throw e;
  }
}

/** Where the rendered manifest of an env is kept (a CI artifact). */
export function renderPath(root: string, env: string, out?: string): string {
  // The default path is confined too: a committed .gitops-flow (or rendered/<env>.yaml) link must not carry the write out.
  const path = out
    ? confine(root, out, '--out')
    : confine(root, join('.gitops-flow', 'rendered', `${env}.yaml`), 'render');
  // And the CRDs written beside it, under a name of their own (a committed <env>.crds.yaml link).
  confine(root, relative(root, definitionsFile(path)), out ? '--out' : 'render');
  return path;
}

export async function writeRender(path: string, manifest: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, manifest);
}

/** The cluster an env deploys to: its kubeconfig context, or GKE credentials fetched with gcloud. */
export async function resolveTarget(env: Environment, ctx: CommandContext, root: string): Promise<ClusterTarget> {
  let context = env.context;
  if (env.gke && !context) {
    try {
      context = await getCredentials(env.gke, { env: ctx.io.env, log: ctx.log, cwd: root });
    } catch (e) {
      const why = e instanceof ExecError ? e.stderr.trim().split('\n').slice(-5) : [String(e)];
      throw failed(
        'GKE_CREDENTIALS_FAILED',
        `Could not get credentials for GKE cluster ${quote(env.gke.cluster)}.`,
        'Check gcloud is authenticated (gcloud auth list) and the project, location and cluster in gitops-flow.yaml.',
        why,
        e,
      );
    }
  }
  return { ...(context && { context }), ...(env.namespace && { namespace: env.namespace }) };
}

/** Verifies every object of the render within one deadline; returns the failures, explained. */
export async function verify(
  manifest: Record<string, unknown>[],
  env: Environment,
  timeoutMs: number,
  target: ClusterTarget,
  ctx: CommandContext,
): Promise<string[]> {
  return (await verifyObjects(manifest, env, timeoutMs, target, ctx)).problems;
}

export interface DeployResult {
  manifestPath: string;
  applied: string[];
  workloads: Workload[];
}

/** The render that was live before a deploy: re-applied when the deploy (or a step after it) fails. */
export interface LastGood {
  ref: string;
  render: () => Promise<string>;
}

/** What a deploy applied, so `restore-last-good` can put the cluster back. */
export interface Applied {
  root: string;
  env: Environment;
  manifestPath: string;
  timeoutMs: number;
  target: ClusterTarget;
  lastGood?: LastGood;
}

/**
 * Applies `manifest` and verifies every object; throws exit 1 naming the objects, pods and reasons
 * when they do not become ready. `onApplied` is told once the cluster has changed (not in dry-run).
 */
export async function deployManifest(
  p: { root: string; env: Environment; manifest: string; manifestPath: string; timeoutMs: number; lastGood?: LastGood },
  ctx: CommandContext,
  onApplied?: (a: Applied) => void,
): Promise<DeployResult> {
  requireDigests(p.env, p.manifest);
  const target = await resolveTarget(p.env, ctx, p.root);
  const workloads = workloadsOf(parseManifest(p.manifest), p.env.workloads);
  await writeRender(p.manifestPath, p.manifest);
  const close = ctx.log.section?.(`render-${p.env.name}`, `Rendered manifest of ${p.env.name} (${p.manifestPath})`);
  if (close) {
    ctx.io.stderr.write(ctx.log.scrubber.scrub(p.manifest));
    close();
  }
  ctx.log.info(
    `Applying ${p.manifestPath} to ${target.context ?? 'the current context'}${ctx.opts.dryRun ? ' (server dry-run)' : ''}`,
  );
  // One deadline for the whole deploy: an unreachable API server is waited for within it.
  const deadline = Date.now() + p.timeoutMs;
  const objects = parseManifest(p.manifest);
  const connection = ctx.opts.dryRun ? undefined : connectEarly(target, ctx);
  if (!ctx.opts.dryRun) await ensureNamespaces(parseManifest(p.manifest), target, ctx, p.root, deadline);
  await applyDefinitionsFirst(objects, {
    manifestPath: p.manifestPath,
    dryRun: ctx.opts.dryRun,
    log: ctx.log,
    apply: (file) => applyManifest(file, target, ctx, p.root, ctx.opts.dryRun ? 0 : deadline),
    verify: (crds) => verify(crds, p.env, Math.max(1_000, deadline - Date.now()), target, ctx),
  });
  // While the render is applied, the inventory is read through the API (what it held before this deploy).
  const inventory = connection ? prefetchInventory(objects, p.env, target, ctx, connection) : undefined;
  const applied = await applyManifest(
    p.manifestPath,
    target,
    ctx,
    p.root,
    ctx.opts.dryRun ? 0 : deadline,
    connection && { api: connection, manifest: p.manifest },
  );
  ctx.log.debug(`applied ${applied.length} object(s) in ${Date.now() - (deadline - p.timeoutMs)} ms`);
  if (ctx.opts.dryRun) {
    await listPrune(objects, p.env, target, ctx);
    return { manifestPath: p.manifestPath, applied, workloads };
  }
  try {
    return await verifyAndPrune(
      { objects, applied, workloads, inventory: inventory as Promise<Prefetched | Error | undefined> },
      p,
      target,
      ctx,
      deadline,
      connection,
      onApplied,
    );
  } finally {
    connection?.then(
      (api) => api.close(),
      () => undefined,
    );
  }
}

async function verifyAndPrune(
  r: {
    objects: Record<string, unknown>[];
    applied: string[];
    workloads: Workload[];
    inventory: Promise<Prefetched | Error | undefined>;
  },
  p: { root: string; env: Environment; manifestPath: string; timeoutMs: number; lastGood?: LastGood },
  target: ClusterTarget,
  ctx: CommandContext,
  deadline: number,
  connection: Promise<KubeApi> | undefined,
  onApplied?: (a: Applied) => void,
): Promise<DeployResult> {
  const { objects, applied, workloads } = r;
  const t0 = Date.now();
  const tracked = await trackApplied(r.inventory, p.env, target, ctx, connection);
  ctx.log.debug(`inventory of ${p.env.name} read in ${Date.now() - t0} ms`);
  onApplied?.({
    root: p.root,
    env: p.env,
    manifestPath: p.manifestPath,
    timeoutMs: p.timeoutMs,
    target,
    ...(p.lastGood && { lastGood: p.lastGood }),
  });
  const { problems, unreachable } = await verifyObjects(
    objects,
    p.env,
    Math.max(1_000, deadline - Date.now()),
    target,
    ctx,
    connection,
  );
  if (problems.length === 0) {
    const t1 = Date.now();
    if (tracked) await pruneToRender(tracked, p.env, target, ctx, connection);
    ctx.log.debug(`prune of ${p.env.name} done in ${Date.now() - t1} ms`);
    return { manifestPath: p.manifestPath, applied, workloads };
  }
  const appliedLine = `applied (${applied.length}): ${applied.join(', ')}`;
  if (unreachable) {
    // Nothing can be restored through an API server that does not answer: say exactly what state it may be in.
    throw failed(
      'CLUSTER_UNREACHABLE',
      `The Kubernetes API server of ${p.env.name} became unreachable during the deploy and did not come back within ${Math.round(p.timeoutMs / 1000)} s.`,
      'Check that the cluster is up (gitops-flow doctor), then deploy again (applying is idempotent); a longer --timeout rides out a restart. The env repo was not changed.',
      [appliedLine, ...problems],
    );
  }
  throw failed(
    'ROLLOUT_FAILED',
    `Rollout of ${p.env.name} failed: ${problems.filter((l) => !l.startsWith(' ')).length} object(s) not ready.`,
    'Fix the cause named below and deploy again; the env repo was not changed.',
    [appliedLine, ...problems],
  );
}

/**
 * Re-applies the last good render after a failed rollout (or a failed step after the deploy) and
 * verifies it; returns the lines that say how that went.
 */
export async function restoreLastGood(a: Applied, why: string, ctx: CommandContext): Promise<string[]> {
  if (!a.lastGood) return ['No earlier render of this environment exists; nothing was restored.'];
  ctx.log.info(`${why}: re-applying the last good render (${a.lastGood.ref.slice(0, 12)})`);
  const goodPath = confine(a.root, relative(a.root, a.manifestPath.replace(/\.yaml$/, '.last-good.yaml')), 'render');
  try {
    const goodManifest = await a.lastGood.render();
    await writeRender(goodPath, goodManifest);
    // After an outage that outlasted the deploy, one attempt: waiting a second timeout would not help.
    await applyManifest(goodPath, a.target, ctx, a.root, why === UNREACHABLE ? 0 : Date.now() + a.timeoutMs);
    const good = parseManifest(goodManifest);
    // A StatefulSet waits for the failed release's broken pods before it rolls back: delete them.
    const forced = await forceStatefulSetRollback(good, a.target, ctx);
    const tracked = await trackApplied(prefetchInventory(good, a.env, a.target, ctx), a.env, a.target, ctx);
    const after = await verify(good, a.env, a.timeoutMs, a.target, ctx);
    // What the failed deploy added is pruned once the last good render is back.
    if (after.length === 0 && tracked) await pruneToRender(tracked, a.env, a.target, ctx);
    return [
      after.length === 0
        ? `The cluster is back at ${a.lastGood.ref.slice(0, 12)} (last good render).`
        : `Re-applied ${a.lastGood.ref.slice(0, 12)}, but it is not ready either:`,
      ...after,
      ...forced,
    ];
  } catch (e) {
    return [`Re-applying the last good render failed: ${e instanceof GitopsError ? e.message : String(e)}`];
  }
}

/** Why the last good render is being re-applied, from the failure that triggered it. */
export function restoreReason(error: unknown): string {
  const code = error instanceof GitopsError ? error.code : undefined;
  return code === 'ROLLOUT_FAILED'
    ? 'Rollout failed'
    : code === 'CLUSTER_UNREACHABLE'
      ? UNREACHABLE
      : 'A step after the deploy failed';
}

const UNREACHABLE = 'The API server was unreachable';

/** Deploys and, when the rollout fails, restores the last good render before rethrowing (one step). */
export async function deployOrRestore(
  p: { root: string; env: Environment; manifest: string; manifestPath: string; timeoutMs: number; lastGood?: LastGood },
  ctx: CommandContext,
  onApplied?: (a: Applied | undefined) => void,
): Promise<DeployResult> {
  let applied: Applied | undefined;
  try {
    return await deployManifest(p, ctx, (a) => {
      applied = a;
      onApplied?.(a);
    });
  } catch (e) {
    if (applied && e instanceof GitopsError && e.code === 'ROLLOUT_FAILED') {
      e.details.push(...(await restoreLastGood(applied, restoreReason(e), ctx)));
      onApplied?.(undefined); // put back already: nothing left for a later restore
    }
    throw e;
  }
}
