/**
 * Prune: delete what an earlier deploy of this env applied and the render no longer has. What was
 * applied is kept in an inventory of our own, the ConfigMap `gitops-flow-inventory-<env>` (data key
 * `objects.json`, one entry per object), never guessed from labels. The inventory is widened before
 * verification (so a failed deploy's new objects are known to the restore that follows) and narrowed
 * to the render after it; an object is deleted only if it still exists with the uid we read, its
 * managedFields show gitops-flow applied it, and nothing else claims it: another env's inventory,
 * another server-side applier, a controlling owner, or the annotation `gitops-flow.io/prune: "false"`.
 * Namespaces and CRDs are kept unless config allows.
 */
import { collectionPath, type KubeApi, type KubeApiError } from '../../adapters/kube-api.js';
import type { Environment } from '../../core/config.js';
import { groupKind } from '../../core/status/status.js';
import type { ObjectRef } from '../../core/workloads.js';

export const FIELD_MANAGER = 'gitops-flow';
/** The label every inventory carries (its value: the env), so each env can see the others'. */
export const ENV_LABEL = 'gitops-flow.io/env';
/** An object annotated `gitops-flow.io/prune: "false"` is never pruned (kept by hand). */
export const PRUNE_ANNOTATION = 'gitops-flow.io/prune';

/** Where an env's inventory lives: config, else the env's namespace, else the render's one namespace. */
export function inventoryLocation(
  env: Environment,
  refs: ObjectRef[],
  api: KubeApi,
): { namespace: string; name: string } {
  const configured = env.prune === false ? undefined : env.prune.inventoryNamespace;
  const namespaces = [...new Set(refs.map((r) => r.namespace).filter((n): n is string => Boolean(n)))];
  const namespace =
    configured ?? env.namespace ?? (namespaces.length === 1 ? namespaces[0] : undefined) ?? api.namespace;
  return { namespace, name: `gitops-flow-inventory-${env.name}` };
}

/** The refs with the namespace a namespaced object lands in filled in, cluster-scoped ones without. */
export async function normalize(api: KubeApi, refs: ObjectRef[]): Promise<ObjectRef[]> {
  const out: ObjectRef[] = [];
  for (const r of refs) {
    const res = await api.resourceOf(r.apiVersion, r.kind).catch(() => undefined);
    const { namespace: _ns, ...rest } = r;
    if (res && !res.namespaced) out.push(rest);
    else out.push({ ...rest, namespace: r.namespace ?? api.namespace });
  }
  return out;
}

export const inventoryId = (r: ObjectRef) => `${groupKind(r)}/${r.namespace ?? ''}/${r.name}`;

export async function readInventory(
  api: KubeApi,
  at: { namespace: string; name: string },
): Promise<ObjectRef[] | undefined> {
  try {
    const cm = await api.request<{ data?: Record<string, string> }>(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(at.namespace)}/configmaps/${encodeURIComponent(at.name)}`,
    );
    const list = JSON.parse(cm.data?.['objects.json'] ?? '[]') as ObjectRef[];
    return Array.isArray(list) ? list.filter((r) => r && typeof r.kind === 'string' && typeof r.name === 'string') : [];
  } catch (e) {
    if ((e as KubeApiError).status === 404) return undefined;
    throw e;
  }
}

export async function writeInventory(
  api: KubeApi,
  at: { namespace: string; name: string },
  env: string,
  objects: ObjectRef[],
): Promise<void> {
  const unique = [...new Map(objects.map((o) => [inventoryId(o), o])).values()].sort((a, b) =>
    inventoryId(a).localeCompare(inventoryId(b)),
  );
  await api.request(
    'PATCH',
    `/api/v1/namespaces/${encodeURIComponent(at.namespace)}/configmaps/${encodeURIComponent(at.name)}?fieldManager=${FIELD_MANAGER}&force=true`,
    {
      contentType: 'application/apply-patch+yaml',
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: at.name,
          namespace: at.namespace,
          labels: { 'app.kubernetes.io/managed-by': 'gitops-flow', [ENV_LABEL]: env },
        },
        data: { 'objects.json': `${JSON.stringify(unique, null, 1)}\n` },
      },
    },
  );
}

/** What prune would delete: in the inventory, not in the render, and a kind config lets us delete. */
export function toPrune(
  inventory: ObjectRef[],
  render: ObjectRef[],
  env: Environment,
): { prune: ObjectRef[]; kept: ObjectRef[] } {
  const want = new Set(render.map(inventoryId));
  const gone = inventory.filter((r) => !want.has(inventoryId(r)));
  const allowed = (r: ObjectRef) => {
    if (env.prune === false) return false;
    if (r.kind === 'Namespace' && !r.apiVersion.includes('/')) return env.prune.namespaces;
    if (groupKind(r) === 'apiextensions.k8s.io/CustomResourceDefinition') return env.prune.customResourceDefinitions;
    return true;
  };
  return { prune: gone.filter(allowed), kept: gone.filter((r) => !allowed(r)) };
}

interface InventoryConfigMap {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

/** What the other envs' inventories hold: object id → the env that applied it (ours excluded). */
export function claimsOf(
  configMaps: InventoryConfigMap[],
  own: { namespace: string; name: string },
): Map<string, string> {
  const claims = new Map<string, string>();
  for (const cm of configMaps) {
    const env = cm.metadata?.labels?.[ENV_LABEL];
    if (!env || !cm.metadata?.name?.startsWith('gitops-flow-inventory-')) continue;
    if (cm.metadata.name === own.name && cm.metadata.namespace === own.namespace) continue;
    let list: unknown;
    try {
      list = JSON.parse(cm.data?.['objects.json'] ?? '[]');
    } catch {
      continue; // a damaged inventory claims nothing; ours is unaffected
    }
    if (!Array.isArray(list)) continue;
    for (const r of list as ObjectRef[])
      if (r && typeof r.kind === 'string' && typeof r.name === 'string' && typeof r.apiVersion === 'string')
        claims.set(inventoryId(r), env);
  }
  return claims;
}

/**
 * The other envs' claims, read from every namespace when the credentials may list ConfigMaps
 * cluster-wide, else from the namespace of our own inventory (where envs sharing a namespace keep theirs).
 */
export async function otherClaims(
  api: KubeApi,
  own: { namespace: string; name: string },
): Promise<Map<string, string>> {
  const query = `?labelSelector=${encodeURIComponent(ENV_LABEL)}`;
  let list: { items?: InventoryConfigMap[] };
  try {
    list = await api.request('GET', `/api/v1/configmaps${query}`);
  } catch (e) {
    if ((e as KubeApiError).status !== 403) throw e;
    list = await api.request('GET', `/api/v1/namespaces/${encodeURIComponent(own.namespace)}/configmaps${query}`);
  }
  return claimsOf(list.items ?? [], own);
}

/** Without the uid, ownership or claims: why a live object is not ours to delete (undefined: it is). */
export function notOurs(meta: {
  managedFields?: { manager?: string; operation?: string; subresource?: string }[];
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; controller?: boolean }[];
}): string | undefined {
  const fields = meta.managedFields ?? [];
  if (!fields.some((f) => f.manager === FIELD_MANAGER)) return 'not applied by gitops-flow';
  if (meta.annotations?.[PRUNE_ANNOTATION] === 'false') return `annotated ${PRUNE_ANNOTATION}: "false"`;
  const others = fields.filter((f) => f.operation === 'Apply' && f.manager !== FIELD_MANAGER && !f.subresource);
  if (others.length > 0) return `also applied by ${[...new Set(others.map((f) => f.manager))].join(', ')}`;
  const owner = meta.ownerReferences?.find((o) => o.controller);
  if (owner) return `controlled by ${owner.kind}/${owner.name}`;
  return undefined;
}

/**
 * Deletes each object if it still exists and is ours (see notOurs; `claims`: the other envs'), with
 * its uid as a precondition so a newer object of the same name is never touched; returns what each came to.
 */
export async function deleteObjects(
  api: KubeApi,
  refs: ObjectRef[],
  claims: Map<string, string> = new Map(),
): Promise<{ ref: ObjectRef; outcome: string }[]> {
  const out: { ref: ObjectRef; outcome: string }[] = [];
  for (const ref of refs) {
    const claimant = claims.get(inventoryId(ref));
    if (claimant) {
      out.push({ ref, outcome: `kept: env ${claimant} applies it too` });
      continue;
    }
    const res = await api.resourceOf(ref.apiVersion, ref.kind);
    if (!res) {
      out.push({ ref, outcome: 'kind no longer served: nothing to delete' });
      continue;
    }
    const path = `${collectionPath(ref.apiVersion, res.plural, res.namespaced ? ref.namespace : undefined)}/${encodeURIComponent(ref.name)}`;
    try {
      const live = await api.request<{ metadata: Parameters<typeof notOurs>[0] & { uid: string } }>('GET', path);
      const why = notOurs(live.metadata);
      if (why) {
        out.push({ ref, outcome: `kept: ${why}` });
        continue;
      }
      await api.request('DELETE', path, {
        body: {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          propagationPolicy: 'Background',
          preconditions: { uid: live.metadata.uid },
        },
      });
      out.push({ ref, outcome: 'deleted' });
    } catch (e) {
      const err = e as KubeApiError;
      if (err.status === 404) out.push({ ref, outcome: 'already gone' });
      else if (err.status === 409) out.push({ ref, outcome: 'kept: replaced by another object meanwhile' });
      else throw e;
    }
  }
  return out;
}
