/** Which pods speak for an object of the render: the ones its current revision owns. */
import type { KubeObject } from './types.js';

const REVISION = 'deployment.kubernetes.io/revision';

function controllerOf(o: KubeObject): { kind: string; uid: string } | undefined {
  const refs = o.metadata?.ownerReferences ?? [];
  return refs.find((r) => r.controller) ?? refs[0];
}

/**
 * The object of the render (by uid) that `pod` belongs to, when the pod is of its current revision:
 * a Deployment's newest ReplicaSet, a StatefulSet's update revision, a DaemonSet's or Job's own pods.
 * Pods of an old revision are on their way out; their failures are not this deploy's.
 */
export function renderOwnerOf(
  pod: KubeObject,
  render: ReadonlyMap<string, KubeObject>,
  replicaSets: ReadonlyMap<string, KubeObject>,
): KubeObject | undefined {
  const uid = pod.metadata?.uid;
  if (uid && render.has(uid)) return render.get(uid);
  const owner = controllerOf(pod);
  if (!owner) return undefined;
  if (owner.kind === 'ReplicaSet') {
    const rs = replicaSets.get(owner.uid) ?? render.get(owner.uid);
    if (!rs) return undefined;
    if (render.has(owner.uid)) return rs;
    const deployRef = controllerOf(rs);
    const deployment = deployRef && render.get(deployRef.uid);
    if (!deployment) return undefined;
    const want = deployment.metadata?.annotations?.[REVISION];
    return want === undefined || rs.metadata?.annotations?.[REVISION] === want ? deployment : undefined;
  }
  const parent = render.get(owner.uid);
  if (!parent) return undefined;
  if (parent.kind === 'StatefulSet') {
    const update = parent.status?.updateRevision;
    const hash = pod.metadata?.labels?.['controller-revision-hash'];
    return update === undefined || hash === update ? parent : undefined;
  }
  return parent;
}
