/** Render → apply → verify → (on failure) restore the last good render: shared by deploy and promote. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ExecError } from '../../adapters/exec.js';
import { getCredentials } from '../../adapters/gcloud.js';
import { gitContext, resolveRef } from '../../adapters/git.js';
import { exportTree } from '../../adapters/git-history.js';
import {
  apply,
  type ClusterTarget,
  getJson,
  isUnreachable,
  kubectl,
  rolloutStatus,
  unreachableReason,
} from '../../adapters/kubectl.js';
import { build } from '../../adapters/kustomize.js';
import { requireDigests } from '../../adapters/registry/digests.js';
import { checkRenderInputs } from '../../adapters/render-inputs.js';
import { confine } from '../../adapters/repo.js';
import type { Environment } from '../../core/config.js';
import { failed, GitopsError, quote } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { describeRef, objectsOf, parseManifest, type Workload, workloadsOf } from '../../core/workloads.js';
import { trackRollouts } from './progress.js';

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
        'Run `kustomize build` on the overlay and fix what it reports.',
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
  return out ? confine(root, out, '--out') : confine(root, join('.gitops-flow', 'rendered', `${env}.yaml`), 'render');
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

function kube(ctx: CommandContext, root: string) {
  return { env: ctx.io.env, log: ctx.log, cwd: root, dryRun: ctx.opts.dryRun };
}

/**
 * Runs `fn` again while kubectl says the API server cannot be reached, with bounded backoff
 * (1 s, 2 s, 4 s, then 5 s), until `deadline`; then rethrows the last error.
 */
async function whileUnreachable<T>(
  what: string,
  deadline: number,
  ctx: CommandContext,
  fn: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const wait = Math.min(5_000, 1_000 * 2 ** (attempt - 1));
      if (!(e instanceof ExecError) || !isUnreachable(e.stderr) || Date.now() + wait >= deadline) throw e;
      ctx.log.info(
        `The API server is unreachable (${unreachableReason(e.stderr)}); retrying ${what} in ${wait / 1000} s (${Math.round((deadline - Date.now()) / 1000)} s left).`,
      );
      await sleep(wait);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Server-side applies a manifest file, retrying while the API server is unreachable until
 * `deadline` (default: no retry); an API error becomes a failed-operation error.
 */
export async function applyManifest(
  file: string,
  target: ClusterTarget,
  ctx: CommandContext,
  root: string,
  deadline = 0,
): Promise<string[]> {
  try {
    return await whileUnreachable('the apply', deadline, ctx, () => apply(file, target, kube(ctx, root)));
  } catch (e) {
    if (!(e instanceof ExecError)) throw e;
    // A server dry-run cannot see objects inside a Namespace the same render would create.
    const missing = /namespaces? "([^"]+)" not found/.exec(e.stderr);
    if (ctx.opts.dryRun && missing) {
      ctx.log.warn(`namespace ${missing[1]} does not exist yet, so the dry run validates client-side only`);
      return apply(file, target, kube(ctx, root), 'client');
    }
    throw applyError(e);
  }
}

/**
 * A failed kubectl apply as a catalogue error: the cluster did not answer, or it refused the objects.
 * What it applied before failing (kubectl prints each object as it goes) is listed, never left unsaid.
 */
function applyError(e: ExecError): GitopsError {
  const unreachable =
    isUnreachable(e.stderr) ||
    /no such host|i\/o timeout|context was not found|no configuration has been provided/i.test(e.stderr);
  const applied = e.stdout.split('\n').filter(Boolean);
  const partial = applied.length ? [`applied before the failure (${applied.length}): ${applied.join(', ')}`] : [];
  return failed(
    unreachable ? 'CLUSTER_UNREACHABLE' : 'APPLY_FAILED',
    unreachable ? 'The Kubernetes API server is unreachable.' : 'kubectl apply was refused by the API server.',
    unreachable
      ? 'Check the kubeconfig context of the environment and that the cluster is up (gitops-flow doctor).'
      : 'Fix the manifest objects named below.',
    [...e.stderr.trim().split('\n').slice(-10), ...partial],
    e,
  );
}

/** Waits for every workload concurrently within one deadline; returns the failures, explained. */
export async function verify(
  workloads: Workload[],
  timeoutMs: number,
  target: ClusterTarget,
  ctx: CommandContext,
  root: string,
): Promise<string[]> {
  return (await verifyAll(workloads, timeoutMs, target, ctx, root)).problems;
}

/** Can the API server be reached right now? */
async function reachable(target: ClusterTarget, ctx: CommandContext, root: string): Promise<boolean> {
  const r = await kubectl(['get', '--raw', '/readyz'], target, kube(ctx, root), {
    allowFailure: true,
    timeoutMs: 10_000,
  });
  return r.exitCode === 0;
}

/**
 * verify, telling apart workloads not ready from workloads whose state could not be read because the
 * API server was unreachable: a wait cut short by an outage is resumed (with backoff) while time is
 * left; `unreachable` are those still cut off at the deadline.
 */
async function verifyAll(
  workloads: Workload[],
  timeoutMs: number,
  target: ClusterTarget,
  ctx: CommandContext,
  root: string,
): Promise<{ problems: string[]; unreachable: Workload[] }> {
  const k = kube(ctx, root);
  const deadline = Date.now() + timeoutMs;
  const progress = trackRollouts(workloads, timeoutMs, target, k, ctx);
  const waitFor = async (w: Workload) => {
    for (let attempt = 1; ; attempt++) {
      const r = await rolloutStatus(w, Math.max(1_000, deadline - Date.now()), target, k);
      if (r.ok || !r.unreachable) return r;
      // The wait saw the API server go away; a rollout that timed out after it came back is a rollout failure.
      const up = await reachable(target, ctx, root);
      const wait = Math.min(5_000, 1_000 * 2 ** (attempt - 1));
      if (Date.now() + wait >= deadline) return { ...r, unreachable: !up };
      ctx.log.info(
        `The API server is unreachable while waiting for ${describeRef(w)} (${r.message}); resuming the wait in ${wait / 1000} s (${Math.round((deadline - Date.now()) / 1000)} s left).`,
      );
      await sleep(wait);
    }
  };
  let results: ({ w: Workload } & Awaited<ReturnType<typeof rolloutStatus>>)[];
  try {
    results = await Promise.all(
      workloads.map(async (w) => {
        const r = await waitFor(w);
        await progress.finish(w, r.ok);
        return { w, ...r };
      }),
    );
  } finally {
    await progress.close();
  }
  const unreachable = results.filter((r) => !r.ok && r.unreachable).map((r) => r.w);
  if (unreachable.length > 0)
    return {
      problems: unreachable.map((w) => `${describeRef(w)}: not verified, the API server was unreachable`),
      unreachable,
    };
  const problems: string[] = [];
  for (const r of results.filter((x) => !x.ok)) {
    problems.push(`${describeRef(r.w)}: ${r.message || 'not ready before the timeout'}`);
    problems.push(...(await explainPods(r.w, target, ctx, root)).map((l) => `  ${l}`));
  }
  return { problems, unreachable: [] };
}

interface PodList {
  items: {
    metadata: { name: string; namespace: string };
    status?: {
      phase?: string;
      conditions?: { type: string; status: string; reason?: string; message?: string }[];
      containerStatuses?: {
        name: string;
        ready: boolean;
        state?: Record<string, { reason?: string; message?: string; exitCode?: number }>;
      }[];
    };
  }[];
}

/** Names each pod of the workload that is not ready: container, reason, and its latest events. */
async function explainPods(w: Workload, target: ClusterTarget, ctx: CommandContext, root: string): Promise<string[]> {
  const selector = Object.entries(w.selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  if (!selector) return [];
  const k = kube(ctx, root);
  try {
    const pods = await getJson<PodList>(['pods', '-l', selector], target, k, w.namespace);
    const lines: string[] = [];
    for (const pod of pods.items) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True') continue;
      const containers = (pod.status?.containerStatuses ?? []).filter((c) => !c.ready);
      const why = containers.map((c) => {
        const [state, info] = Object.entries(c.state ?? {})[0] ?? ['unknown', {}];
        return `container ${c.name} ${state}${info.reason ? ` (${info.reason}${info.message ? `: ${info.message}` : ''})` : ''}`;
      });
      const cond = ready
        ? `Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ''}`
        : `phase ${pod.status?.phase ?? 'Pending'}`;
      lines.push(`pod ${pod.metadata.name}: ${[cond, ...why].join('; ')}`);
      const events = await getJson<{ items: { reason?: string; message?: string; type?: string }[] }>(
        ['events', '--field-selector', `involvedObject.name=${pod.metadata.name}`],
        target,
        k,
        pod.metadata.namespace,
      );
      for (const ev of events.items.slice(-3))
        lines.push(`  event ${ev.type ?? ''} ${ev.reason ?? ''}: ${ev.message ?? ''}`.trimEnd());
      if (lines.length > 30) break;
    }
    return lines;
  } catch {
    return ['(could not list its pods)'];
  }
}

/**
 * Creates the namespaces the render puts objects in but does not itself define, so a render applies
 * to a brand-new empty cluster (the disaster-recovery case).
 */
async function ensureNamespaces(
  objects: Record<string, unknown>[],
  target: ClusterTarget,
  ctx: CommandContext,
  root: string,
  deadline: number,
): Promise<void> {
  const defined = new Set(
    objectsOf(objects)
      .filter((o) => o.kind === 'Namespace')
      .map((o) => o.name),
  );
  const valid = (n: string | undefined): n is string =>
    Boolean(n) && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(n as string) && !defined.has(n as string);
  const used = new Set(
    objectsOf(objects)
      .map((o) => o.namespace)
      .filter(valid),
  );
  if (target.namespace && !defined.has(target.namespace)) used.add(target.namespace);
  if (used.size === 0) return;
  const manifest = [...used].map((n) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${n}\n`).join('---\n');
  try {
    await whileUnreachable('creating the namespaces', deadline, ctx, () =>
      kubectl(['apply', '--server-side', '--field-manager=gitops-flow', '-f', '-'], target, kube(ctx, root), {
        input: manifest,
      }),
    );
  } catch (e) {
    throw e instanceof ExecError ? applyError(e) : e;
  }
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
 * Applies `manifest` and waits for every workload; throws exit 1 naming the workloads, pods and reasons
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
  if (!ctx.opts.dryRun) await ensureNamespaces(parseManifest(p.manifest), target, ctx, p.root, deadline);
  const applied = await applyManifest(p.manifestPath, target, ctx, p.root, ctx.opts.dryRun ? 0 : deadline);
  if (ctx.opts.dryRun) return { manifestPath: p.manifestPath, applied, workloads };
  onApplied?.({
    root: p.root,
    env: p.env,
    manifestPath: p.manifestPath,
    timeoutMs: p.timeoutMs,
    target,
    ...(p.lastGood && { lastGood: p.lastGood }),
  });
  ctx.log.info(
    `Waiting for ${workloads.length} workload(s): ${workloads.map((w) => `${w.kind}/${w.name}`).join(', ') || 'none'}`,
  );
  const { problems, unreachable } = await verifyAll(
    workloads,
    Math.max(1_000, deadline - Date.now()),
    target,
    ctx,
    p.root,
  );
  if (problems.length === 0) return { manifestPath: p.manifestPath, applied, workloads };
  const appliedLine = `applied (${applied.length}): ${applied.join(', ')}`;
  if (unreachable.length > 0) {
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
    `Rollout of ${p.env.name} failed: ${problems.filter((l) => !l.startsWith(' ')).length} workload(s) not ready.`,
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
    const goodWorkloads = workloadsOf(parseManifest(goodManifest), a.env.workloads);
    const after = await verify(goodWorkloads, a.timeoutMs, a.target, ctx, a.root);
    return [
      after.length === 0
        ? `The cluster is back at ${a.lastGood.ref.slice(0, 12)} (last good render).`
        : `Re-applied ${a.lastGood.ref.slice(0, 12)}, but it is not ready either:`,
      ...after,
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
