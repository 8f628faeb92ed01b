/**
 * Server-side apply through the API, in-process: the same PATCH requests `kubectl apply --server-side
 * --field-manager=gitops-flow --force-conflicts` sends, without a kubectl process (~100 ms of a release
 * that is otherwise done in ~300). kubectl stays the authority: whenever this path meets something it
 * does not reproduce exactly — a kind discovery does not know, YAML that a YAML 1.1 reader (kubectl's)
 * would read differently, a `List`, an object still managed by client-side apply, any error — it says
 * why and the caller applies the whole render with kubectl instead. Applying is idempotent, so objects
 * this path applied before stepping aside are simply applied again.
 */
import { parseAllDocuments } from 'yaml';
import { collectionPath, type KubeApi, type KubeApiError } from './kube-api.js';

/** Done (what was applied, the API server's warnings), or why kubectl must apply, with what was applied before. */
export type ApiApply = { applied: string[]; warnings: string[] } | { fallback: string; applied: string[] };

export interface ApiApplyOptions {
  /** The namespace kubectl is given (`--namespace`): an object naming another one is kubectl's to refuse. */
  requireNamespace?: string;
  /** Asked before each request: true once the caller has handed the apply to kubectl. */
  stopped?: () => boolean;
}

interface Meta {
  name?: unknown;
  namespace?: unknown;
  annotations?: Record<string, unknown>;
  managedFields?: { manager?: string; operation?: string }[];
}

/**
 * kubectl's client-side apply leaves this annotation (which kubectl's server-side apply keeps up to
 * date) and this manager (whose fields kubectl moves to ours): both are kubectl's to handle. Not
 * `before-first-apply`, which the API server stamps on any object applied after it was created
 * without managed fields (a Namespace with no field of ours, say): kubectl leaves that one as it is.
 */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const CSA_MANAGER = 'kubectl-client-side-apply';

/**
 * The manifest's objects as kubectl would send them, or why not: the text is read as YAML 1.2 (what
 * kustomize wrote) and as YAML 1.1 (what kubectl reads: `0644` is octal, `yes` is true), and only a
 * manifest both read the same way is sent from here. Integers beyond 2^53 would lose digits in JSON.
 */
export function sendableObjects(manifest: string): Record<string, unknown>[] | string {
  const read = (version: '1.1' | '1.2') =>
    parseAllDocuments(manifest, { version })
      .map((d) => (d.errors.length ? undefined : (d.toJS({ maxAliasCount: 100 }) as unknown)))
      .filter((o) => o !== null);
  const modern = read('1.2');
  if (modern.some((o) => o === undefined || typeof o !== 'object' || Array.isArray(o)))
    return 'a document is not an object';
  const text = JSON.stringify(modern);
  if (text !== JSON.stringify(read('1.1'))) return 'YAML 1.1 (kubectl) reads a value differently';
  if (/[-\d]\d{15,}[,}\]]/.test(text) && modern.some(hasUnsafeInteger)) return 'an integer beyond 2^53';
  // JSON writes NaN and ±Infinity as null, which an apply patch reads as "remove the field".
  if (/null/.test(text) && modern.some(hasNonFinite)) return 'a .nan or .inf value';
  return modern as Record<string, unknown>[];
}

function hasNonFinite(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (v && typeof v === 'object') return Object.values(v).some(hasNonFinite);
  return false;
}

function hasUnsafeInteger(v: unknown): boolean {
  if (typeof v === 'number') return Number.isInteger(v) && !Number.isSafeInteger(v);
  if (v && typeof v === 'object') return Object.values(v).some(hasUnsafeInteger);
  return false;
}

/** `kubectl apply -o name`'s words for an object: `deployment.apps/web`, `configmap/settings`. */
export function nameOf(apiVersion: string, kind: string, name: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return `${kind.toLowerCase()}${group ? `.${group}` : ''}/${name}`;
}

/** Applies `objects` in order as field manager `gitops-flow` (conflicts forced), or says why it did not finish. */
export async function applyThroughApi(
  api: KubeApi,
  objects: Record<string, unknown>[],
  opts: ApiApplyOptions = {},
): Promise<ApiApply> {
  const applied: string[] = [];
  const warnings: string[] = [];
  const fallback = (why: string): ApiApply => ({ fallback: why, applied });
  for (const o of objects) {
    if (opts.stopped?.()) return fallback('stopped');
    const apiVersion = o.apiVersion;
    const kind = o.kind;
    const meta = (o.metadata ?? {}) as Meta;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof meta.name !== 'string' || !meta.name)
      return fallback('an object without apiVersion, kind or name');
    if (kind.endsWith('List')) return fallback(`a ${kind}`);
    let resource: Awaited<ReturnType<KubeApi['resourceOf']>>;
    try {
      resource = await api.resourceOf(apiVersion, kind);
    } catch (e) {
      if ((e as KubeApiError).status === 404) return fallback(`the cluster does not serve ${apiVersion}`);
      return fallback(`discovery of ${apiVersion} failed (${(e as Error).message})`);
    }
    if (!resource) return fallback(`the cluster does not serve ${kind} in ${apiVersion}`);
    if (!resource.namespaced && meta.namespace !== undefined)
      return fallback(`cluster-scoped ${kind}/${meta.name} names a namespace`);
    if (meta.namespace !== undefined && typeof meta.namespace !== 'string')
      return fallback(`${kind}/${meta.name} has a namespace that is not text`);
    if (
      resource.namespaced &&
      opts.requireNamespace &&
      meta.namespace !== undefined &&
      meta.namespace !== opts.requireNamespace
    )
      return fallback(`${kind}/${meta.name} names namespace ${meta.namespace}, not the env's ${opts.requireNamespace}`);
    const namespace = resource.namespaced ? ((meta.namespace as string | undefined) ?? api.namespace) : undefined;
    // kubectl sends the namespace it defaulted in the object too.
    const body = namespace ? { ...o, metadata: { ...meta, namespace } } : o;
    const q = new URLSearchParams({ fieldManager: 'gitops-flow', force: 'true', fieldValidation: 'Strict' });
    const path = `${collectionPath(apiVersion, resource.plural, namespace)}/${encodeURIComponent(meta.name)}?${q}`;
    let live: { metadata?: Meta };
    try {
      live = await api.request('PATCH', path, { body, contentType: 'application/apply-patch+yaml', warnings });
    } catch (e) {
      return fallback(`${kind}/${meta.name}: ${(e as Error).message}`);
    }
    applied.push(nameOf(apiVersion, kind, meta.name));
    const lm = live.metadata ?? {};
    const csa = lm.managedFields?.some((f) => f.manager === CSA_MANAGER);
    if (lm.annotations?.[LAST_APPLIED] !== undefined || csa)
      return fallback(`${kind}/${meta.name} was applied client-side before (kubectl moves its fields to us)`);
  }
  return { applied, warnings };
}
