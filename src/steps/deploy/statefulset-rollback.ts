/**
 * A StatefulSet put back by the restore does not roll back on its own: with the default OrderedReady
 * pod management its controller waits for the failed release's broken pod to become Ready before it
 * replaces it, which never happens (the "forced rollback" of the Kubernetes StatefulSet docs: "you
 * must also delete any Pods that StatefulSet had already attempted to run with the bad
 * configuration"). So the restore does what the docs ask of a person: once the controller has seen
 * the restored template, it deletes that StatefulSet's pods that are of another revision and not
 * Ready, and the controller recreates them from the restored one. Healthy pods, pods below a
 * partition and StatefulSets updated OnDelete are left alone.
 */
import { connectKube, type KubeApi, type KubeApiError } from '../../adapters/kube-api.js';
import type { ClusterTarget } from '../../adapters/kubectl.js';
import type { CommandContext } from '../../core/io.js';
import { condition, type KubeObject, num } from '../../core/status/types.js';
import { objectsOf } from '../../core/workloads.js';

/** How long to wait for the controller to observe the restored template (it takes milliseconds). */
const OBSERVE_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pods that keep a restored StatefulSet from rolling back: another revision, not Ready, at or above the partition. */
export function stuckPods(sts: KubeObject, pods: KubeObject[]): KubeObject[] {
  const strategy = (sts.spec?.updateStrategy ?? {}) as { type?: string; rollingUpdate?: { partition?: number } };
  if (strategy.type === 'OnDelete') return [];
  const revision = sts.status?.updateRevision;
  if (typeof revision !== 'string') return [];
  const partition = num(strategy.rollingUpdate?.partition, 0);
  const prefix = `${sts.metadata?.name ?? ''}-`;
  return pods.filter((p) => {
    const name = p.metadata?.name ?? '';
    const ordinal = Number(name.startsWith(prefix) ? name.slice(prefix.length) : Number.NaN);
    return (
      p.metadata?.ownerReferences?.some((r) => r.controller && r.uid === sts.metadata?.uid) === true &&
      p.metadata?.deletionTimestamp === undefined &&
      p.metadata?.labels?.['controller-revision-hash'] !== revision &&
      condition(p, 'Ready')?.status !== 'True' &&
      Number.isInteger(ordinal) &&
      ordinal >= partition
    );
  });
}

/** The StatefulSet once its controller has observed its latest spec (undefined if it is gone). */
async function observed(api: KubeApi, path: string): Promise<KubeObject | undefined> {
  const end = Date.now() + OBSERVE_MS;
  for (;;) {
    let sts: KubeObject;
    try {
      sts = await api.request<KubeObject>('GET', path);
    } catch (e) {
      if ((e as KubeApiError).status === 404) return undefined;
      throw e;
    }
    const seen = num(sts.status?.observedGeneration, 0) >= num(sts.metadata?.generation, 0);
    if (seen || Date.now() > end) return sts;
    await sleep(100);
  }
}

/**
 * For each StatefulSet of the re-applied `manifest`, deletes the pods that would keep it from rolling
 * back (see stuckPods); returns a line per pod deleted. Errors are lines too: the verification that
 * follows says whether the StatefulSet came back.
 */
export async function forceStatefulSetRollback(
  manifest: Record<string, unknown>[],
  target: ClusterTarget,
  ctx: CommandContext,
): Promise<string[]> {
  const sets = objectsOf(manifest).filter((r) => r.kind === 'StatefulSet' && r.apiVersion === 'apps/v1' && r.name);
  if (sets.length === 0) return [];
  const lines: string[] = [];
  const api = await connectKube(target, ctx.io.env);
  try {
    for (const ref of sets) {
      const ns = encodeURIComponent(ref.namespace ?? api.namespace);
      try {
        const sts = await observed(api, `/apis/apps/v1/namespaces/${ns}/statefulsets/${encodeURIComponent(ref.name)}`);
        if (!sts) continue;
        const labels = (sts.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
        const selector = Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
        const pods = await api.request<{ items: KubeObject[] }>(
          'GET',
          `/api/v1/namespaces/${ns}/pods?${new URLSearchParams({ labelSelector: selector })}`,
        );
        for (const pod of stuckPods(sts, pods.items)) {
          const name = pod.metadata?.name ?? '';
          await api.request('DELETE', `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(name)}`, {
            body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: pod.metadata?.uid } },
          });
          const line = `StatefulSet/${ref.name}: deleted pod ${name} of the failed release (not Ready), so it is recreated from the restored template`;
          ctx.log.info(line);
          lines.push(line);
        }
      } catch (e) {
        const err = e as KubeApiError;
        // Already gone or replaced meanwhile: the controller has moved on, nothing to force.
        if (err.status === 404 || err.status === 409) continue;
        lines.push(`StatefulSet/${ref.name}: could not delete its pods of the failed release: ${err.message}`);
      }
    }
  } finally {
    api.close();
  }
  return lines;
}
