/** kubectl apply of a render (and of the namespaces it needs), riding out an unreachable API server. */
import { ExecError } from '../../adapters/exec-error.js';
import type { KubeApi } from '../../adapters/kube-api.js';
import { type ApiApply, applyThroughApi, sendableObjects } from '../../adapters/kube-apply.js';
import { apply, type ClusterTarget, isUnreachable, kubectl, unreachableReason } from '../../adapters/kubectl.js';
import { failed, type GitopsError } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { objectsOf } from '../../core/workloads.js';

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

/** How long the in-process apply may take before kubectl is asked instead. */
const API_APPLY_MS = 30_000;

/**
 * The in-process server-side apply (src/adapters/kube-apply.ts): what it applied, and whether it
 * finished. When it did not, the reason is said in --verbose and kubectl applies the whole render
 * (again, for what this path applied: applying is idempotent); past `API_APPLY_MS` (or the deadline)
 * the path stops before its next request.
 */
async function applyInProcess(
  manifest: string,
  api: Promise<KubeApi>,
  o: { ctx: CommandContext; target: ClusterTarget; deadline: number },
): Promise<{ applied: string[]; done: boolean }> {
  const objects = sendableObjects(manifest);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const ms = o.deadline > 0 ? Math.max(1_000, Math.min(API_APPLY_MS, o.deadline - Date.now())) : API_APPLY_MS;
  const opts = { stopped: () => stopped, ...(o.target.namespace && { requireNamespace: o.target.namespace }) };
  const r: ApiApply =
    typeof objects === 'string'
      ? { fallback: objects, applied: [] }
      : await Promise.race([
          api.then(
            (a) => applyThroughApi(a, objects, opts),
            // Only the first line: a kubeconfig parser's message quotes the lines around its error.
            (e: Error) => ({ fallback: `no API connection (${firstLine(e.message)})`, applied: [] }),
          ),
          new Promise<ApiApply>((resolve) => {
            timer = setTimeout(() => resolve({ fallback: `no answer within ${ms / 1000} s`, applied: [] }), ms);
          }),
        ]);
  clearTimeout(timer);
  stopped = true;
  if ('fallback' in r) {
    o.ctx.log.debug(`applying with kubectl instead of the API: ${firstLine(r.fallback)}`);
    return { applied: r.applied, done: false };
  }
  for (const w of r.warnings) o.ctx.log.warn(w);
  return { applied: r.applied, done: true };
}

const firstLine = (s: string) => s.split('\n')[0] ?? '';

/**
 * Server-side applies a manifest file, retrying while the API server is unreachable until
 * `deadline` (default: no retry); an API error becomes a failed-operation error. Given the deploy's
 * API connection and the file's text (never in dry-run), the objects go through the API in-process,
 * kubectl applying instead whenever that path cannot reproduce it exactly.
 */
export async function applyManifest(
  file: string,
  target: ClusterTarget,
  ctx: CommandContext,
  root: string,
  deadline = 0,
  through?: { api: Promise<KubeApi>; manifest: string },
): Promise<string[]> {
  let before: string[] = [];
  if (through && !ctx.opts.dryRun) {
    const r = await applyInProcess(through.manifest, through.api, { ctx, target, deadline });
    if (r.done) return r.applied;
    before = r.applied;
  }
  try {
    return await whileUnreachable('the apply', deadline, ctx, () => apply(file, target, kube(ctx, root)));
  } catch (e) {
    if (!(e instanceof ExecError)) throw e;
    // A server dry-run cannot see objects inside a Namespace the same render would create.
    // ...nor custom resources of a CRD the same render would create.
    const missing =
      /namespaces? "([^"]+)" not found/.exec(e.stderr) ??
      /no matches for kind "([^"]+)".*\n?.*ensure CRDs are installed first/.exec(e.stderr);
    if (ctx.opts.dryRun && missing) {
      ctx.log.warn(
        `${missing[0].startsWith('no matches') ? `kind ${missing[1]}` : `namespace ${missing[1]}`} does not exist yet, so the dry run validates client-side only`,
      );
      return apply(file, target, kube(ctx, root), 'client');
    }
    throw applyError(e, before);
  }
}

/**
 * A failed kubectl apply as a catalogue error: the cluster did not answer, or it refused the objects.
 * What it applied before failing (kubectl prints each object as it goes) is listed, never left unsaid.
 */
function applyError(e: ExecError, throughApi: string[] = []): GitopsError {
  const unreachable =
    isUnreachable(e.stderr) ||
    /no such host|i\/o timeout|context was not found|no configuration has been provided/i.test(e.stderr);
  const applied = e.stdout.split('\n').filter(Boolean);
  const partial = applied.length ? [`applied before the failure (${applied.length}): ${applied.join(', ')}`] : [];
  // What the in-process apply did before handing over to kubectl changed the cluster too.
  if (throughApi.length)
    partial.push(`applied through the API before kubectl took over (${throughApi.length}): ${throughApi.join(', ')}`);
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

/**
 * Creates the namespaces the render puts objects in but does not itself define, so a render applies
 * to a brand-new empty cluster (the disaster-recovery case).
 */
export async function ensureNamespaces(
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
