/**
 * Rules for the objects that own pods: Deployment, StatefulSet, DaemonSet, ReplicaSet. Each compares
 * the controller's counts with what the spec asks for, once the controller has seen the latest spec.
 */
import {
  condition,
  current,
  explain,
  failedStatus,
  inProgress,
  type KubeObject,
  num,
  type StatusResult,
} from './types.js';

/** `spec.replicas`, which defaults to 1 when a manifest leaves it out. */
function desired(o: KubeObject): number {
  return num(o.spec?.replicas, 1);
}

export function deploymentStatus(o: KubeObject): StatusResult {
  const s = o.status ?? {};
  const want = desired(o);
  const progressing = condition(o, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return failedStatus(explain(progressing, 'progress deadline exceeded'));
  if (o.spec?.paused === true) return current('paused: not rolled out while paused');
  const replicas = num(s.replicas);
  const updated = num(s.updatedReplicas);
  const ready = num(s.readyReplicas);
  const available = num(s.availableReplicas);
  const counts = `${ready}/${want} ready, ${updated}/${want} updated, ${available}/${want} available`;
  if (updated < want) return inProgress(counts);
  if (replicas > updated) return inProgress(`${counts}, ${replicas - updated} old replica(s) terminating`);
  if (available < updated || ready < want) return inProgress(counts);
  // The controller marks the new ReplicaSet available last: until then the rollout is not finished.
  if (want > 0 && progressing && !(progressing.status === 'True' && progressing.reason === 'NewReplicaSetAvailable'))
    return inProgress(`${counts}, new ReplicaSet not yet available`);
  const avail = condition(o, 'Available');
  if (want > 0 && avail && avail.status !== 'True') return inProgress(explain(avail, counts));
  return current(`${ready}/${want} ready`);
}

export function statefulSetStatus(o: KubeObject): StatusResult {
  const s = o.status ?? {};
  const want = desired(o);
  const strategy = (o.spec?.updateStrategy ?? {}) as { type?: string; rollingUpdate?: { partition?: number } };
  const ready = num(s.readyReplicas);
  const replicas = num(s.replicas);
  if (strategy.type === 'OnDelete')
    // Pods are only replaced when someone deletes them: nothing rolls out on its own, so count readiness only.
    return ready >= want && replicas >= want
      ? current(`${ready}/${want} ready (OnDelete: pods change when deleted)`)
      : inProgress(`${ready}/${want} ready (OnDelete)`);
  const updated = num(s.updatedReplicas);
  const partition = num(strategy.rollingUpdate?.partition, 0);
  if (replicas < want) return inProgress(`${replicas}/${want} replicas created, ${ready}/${want} ready`);
  if (ready < want) return inProgress(`${ready}/${want} ready, ${updated}/${want} updated`);
  if (partition > 0) {
    // Only ordinals at or above the partition are updated: that is the whole rollout asked for.
    const expected = Math.max(0, want - partition);
    return updated >= expected
      ? current(`${ready}/${want} ready, partitioned rollout: ${updated}/${expected} updated`)
      : inProgress(`${ready}/${want} ready, partitioned rollout: ${updated}/${expected} updated`);
  }
  if (updated < want) return inProgress(`${ready}/${want} ready, ${updated}/${want} updated`);
  if (s.updateRevision && s.currentRevision !== s.updateRevision)
    return inProgress(`${ready}/${want} ready, revision ${String(s.updateRevision)} not yet current`);
  return current(`${ready}/${want} ready`);
}

export function daemonSetStatus(o: KubeObject): StatusResult {
  const s = o.status ?? {};
  const want = num(s.desiredNumberScheduled);
  const scheduled = num(s.currentNumberScheduled);
  const updated = num(s.updatedNumberScheduled);
  const ready = num(s.numberReady);
  const available = num(s.numberAvailable);
  const counts = `${ready}/${want} ready, ${updated}/${want} updated, ${available}/${want} available`;
  const strategy = (o.spec?.updateStrategy ?? {}) as { type?: string };
  if (scheduled < want) return inProgress(`${scheduled}/${want} scheduled, ${counts}`);
  if (strategy.type === 'OnDelete')
    return ready >= want ? current(`${ready}/${want} ready (OnDelete)`) : inProgress(counts);
  if (updated < want || available < want || ready < want) return inProgress(counts);
  return current(`${ready}/${want} ready`);
}

export function replicaSetStatus(o: KubeObject): StatusResult {
  const s = o.status ?? {};
  const failure = condition(o, 'ReplicaFailure');
  if (failure?.status === 'True') return failedStatus(explain(failure, 'replica failure'));
  const want = desired(o);
  const ready = num(s.readyReplicas);
  const available = num(s.availableReplicas);
  const labeled = num(s.fullyLabeledReplicas);
  if (labeled < want) return inProgress(`${labeled}/${want} labeled`);
  if (ready < want || available < want) return inProgress(`${ready}/${want} ready, ${available}/${want} available`);
  return current(`${ready}/${want} ready`);
}
