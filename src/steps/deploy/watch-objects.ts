/**
 * Watches the objects of a render through the API: one list + watch per kind and namespace (filtered
 * to the one name when a kind has a single object), not a process per object. A watch that ends is
 * resumed by listing again; while the API server cannot be reached it retries with backoff and says so.
 */
import { collectionPath, type KubeApi, type KubeApiError, type WatchHandle } from '../../adapters/kube-api.js';
import { groupKind, type KubeObject } from '../../core/status/status.js';
import type { ObjectRef } from '../../core/workloads.js';

export interface WatchCallbacks {
  /** A render object changed (undefined: it does not exist). */
  onObject(key: string, o: KubeObject | undefined): void;
  /** A pod or ReplicaSet of a watched namespace changed (`deleted`: it is gone). */
  onPod?(o: KubeObject, deleted: boolean): void;
  onReplicaSet?(o: KubeObject, deleted: boolean): void;
  /** The kind of a render object is not served by the cluster. */
  onUnknownKind(keys: string[], why: string): void;
  onUnreachable?(why: string): void;
  onReachable?(): void;
}

export interface ObjectsWatch {
  /** How many watch connections are (or were) open: one per kind and namespace. */
  connections: number;
  stop(): void;
}

/** The key of an object in messages and maps: `apps/Deployment/ns/web`. */
export function keyOf(r: { apiVersion?: string; kind?: string; name?: string; namespace?: string }): string {
  return `${groupKind(r)}/${r.namespace ?? ''}/${r.name ?? ''}`;
}

interface Group {
  apiVersion: string;
  kind: string;
  namespace?: string;
  names: Set<string>;
  deliver: (o: KubeObject | undefined, name: string, deleted: boolean) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function watchObjects(
  api: KubeApi,
  refs: ObjectRef[],
  podNamespaces: string[],
  cb: WatchCallbacks,
): ObjectsWatch {
  let stopped = false;
  const handles = new Set<WatchHandle>();
  const groups = new Map<string, Group>();
  for (const r of refs) {
    const id = `${r.apiVersion}|${r.kind}|${r.namespace ?? ''}`;
    let g = groups.get(id);
    if (!g) {
      g = {
        apiVersion: r.apiVersion,
        kind: r.kind,
        ...(r.namespace && { namespace: r.namespace }),
        names: new Set(),
        deliver: (o, name) => cb.onObject(keyOf({ ...r, name }), o),
      };
      groups.set(id, g);
    }
    g.names.add(r.name);
  }
  const all = [...groups.values()];
  for (const ns of podNamespaces) {
    if (cb.onPod)
      all.push({
        apiVersion: 'v1',
        kind: 'Pod',
        namespace: ns,
        names: new Set(),
        deliver: (o, _n, d) => o && cb.onPod?.(o, d),
      });
    if (cb.onReplicaSet)
      all.push({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        namespace: ns,
        names: new Set(),
        deliver: (o, _n, d) => o && cb.onReplicaSet?.(o, d),
      });
  }

  const follow = async (g: Group) => {
    const resource = await retrying(() => api.resourceOf(g.apiVersion, g.kind));
    if (stopped) return;
    if (!resource) {
      cb.onUnknownKind(
        [...g.names].map((name) => keyOf({ ...g, name })),
        `the cluster serves no ${g.kind} in ${g.apiVersion}`,
      );
      return;
    }
    const ns = resource.namespaced ? (g.namespace ?? api.namespace) : undefined;
    const base = collectionPath(g.apiVersion, resource.plural, ns);
    const only = g.names.size === 1 ? `fieldSelector=${encodeURIComponent(`metadata.name=${[...g.names][0]}`)}` : '';
    let failures = 0;
    while (!stopped) {
      try {
        const list = await api.request<{ metadata: { resourceVersion: string }; items: KubeObject[] }>(
          'GET',
          `${base}${only ? `?${only}` : ''}`,
        );
        if (failures > 0) cb.onReachable?.();
        failures = 0;
        const seen = new Set<string>();
        for (const item of list.items) {
          // Items of a list response carry no apiVersion and kind: the status rules need them.
          const o = { ...item, apiVersion: g.apiVersion, kind: g.kind };
          seen.add(o.metadata?.name ?? '');
          if (g.names.size === 0 || g.names.has(o.metadata?.name ?? '')) g.deliver(o, o.metadata?.name ?? '', false);
        }
        for (const name of g.names) if (!seen.has(name)) g.deliver(undefined, name, true);
        const q = [`watch=1`, `allowWatchBookmarks=true`, `resourceVersion=${list.metadata.resourceVersion}`, only]
          .filter(Boolean)
          .join('&');
        const err = await new Promise<KubeApiError | undefined>((resolve) => {
          const h = api.watch(
            `${base}?${q}`,
            (e) => {
              if (e.type === 'BOOKMARK') return;
              if (e.type === 'ERROR') return h.stop(); // e.g. 410 Gone: list again
              const o = e.object as KubeObject;
              const name = o.metadata?.name ?? '';
              if (g.names.size > 0 && !g.names.has(name)) return;
              // A named object that is deleted is gone (undefined); a pod or ReplicaSet is passed on as deleted.
              const gone = e.type === 'DELETED';
              g.deliver(gone && g.names.size > 0 ? undefined : o, name, gone);
            },
            (e) => {
              handles.delete(h);
              resolve(e);
            },
          );
          handles.add(h);
          if (stopped) h.stop();
        });
        if (err) throw err;
      } catch (e) {
        if (stopped) return;
        failures += 1;
        const err = e as KubeApiError;
        if (err.unreachable || err.status === undefined) cb.onUnreachable?.(err.message);
        await sleep(Math.min(5_000, 500 * 2 ** (failures - 1)));
      }
    }
  };

  /** Discovery, retried while the API server is away (the caller's deadline ends the wait). */
  const retrying = async <T>(f: () => Promise<T>): Promise<T | undefined> => {
    for (let i = 0; !stopped; i++) {
      try {
        return await f();
      } catch (e) {
        cb.onUnreachable?.((e as Error).message);
        await sleep(Math.min(5_000, 500 * 2 ** i));
      }
    }
    return undefined;
  };

  for (const g of all) void follow(g);
  return {
    connections: all.length,
    stop: () => {
      stopped = true;
      for (const h of handles) h.stop();
      handles.clear();
    },
  };
}
