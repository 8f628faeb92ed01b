/**
 * Prune: delete what an earlier deploy of this env applied and the render no longer has. What was
 * applied is kept in an inventory of our own, the ConfigMap `gitops-flow-inventory-<env>` (data key
 * `objects.json`, one entry per object), never guessed from labels. The inventory is widened before
 * verification (so a failed deploy's new objects are known to the restore that follows) and narrowed
 * to the render after it; an object is deleted only if it still exists with the uid we read and its
 * managedFields show gitops-flow applied it. Namespaces and CRDs are kept unless config allows.
 */
import { collectionPath, type KubeApi, type KubeApiError } from '../../adapters/kube-api.js';
import type { Environment } from '../../core/config.js';
import { groupKind } from '../../core/status/status.js';
import type { ObjectRef } from '../../core/workloads.js';

export const FIELD_MANAGER = 'gitops-flow';

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

const id = (r: ObjectRef) => `${groupKind(r)}/${r.namespace ?? ''}/${r.name}`;

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
  const unique = [...new Map(objects.map((o) => [id(o), o])).values()].sort((a, b) => id(a).localeCompare(id(b)));
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
          labels: { 'app.kubernetes.io/managed-by': 'gitops-flow', 'gitops-flow.io/env': env },
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
  const want = new Set(render.map(id));
  const gone = inventory.filter((r) => !want.has(id(r)));
  const allowed = (r: ObjectRef) => {
    if (env.prune === false) return false;
    if (r.kind === 'Namespace' && !r.apiVersion.includes('/')) return env.prune.namespaces;
    if (groupKind(r) === 'apiextensions.k8s.io/CustomResourceDefinition') return env.prune.customResourceDefinitions;
    return true;
  };
  return { prune: gone.filter(allowed), kept: gone.filter((r) => !allowed(r)) };
}

/**
 * Deletes each object if it still exists and gitops-flow applied it (managedFields), with its uid as
 * a precondition so a newer object of the same name is never touched; returns what each came to.
 */
export async function deleteObjects(api: KubeApi, refs: ObjectRef[]): Promise<{ ref: ObjectRef; outcome: string }[]> {
  const out: { ref: ObjectRef; outcome: string }[] = [];
  for (const ref of refs) {
    const res = await api.resourceOf(ref.apiVersion, ref.kind);
    if (!res) {
      out.push({ ref, outcome: 'kind no longer served: nothing to delete' });
      continue;
    }
    const path = `${collectionPath(ref.apiVersion, res.plural, res.namespaced ? ref.namespace : undefined)}/${encodeURIComponent(ref.name)}`;
    try {
      const live = await api.request<{ metadata: { uid: string; managedFields?: { manager?: string }[] } }>(
        'GET',
        path,
      );
      if (!live.metadata.managedFields?.some((f) => f.manager === FIELD_MANAGER)) {
        out.push({ ref, outcome: 'kept: not applied by gitops-flow' });
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
