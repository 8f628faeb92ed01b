/** Rules for Pods, Jobs, CronJobs, claims, addresses, and API extensions. */
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

interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: Record<string, { reason?: string; message?: string; exitCode?: number }>;
}

export function podStatus(o: KubeObject): StatusResult {
  const phase = String(o.status?.phase ?? 'Pending');
  if (phase === 'Succeeded') return current('completed');
  if (phase === 'Failed') return failedStatus(`failed${o.status?.reason ? `: ${String(o.status.reason)}` : ''}`);
  const ready = condition(o, 'Ready');
  if (ready?.status === 'True') return current('ready');
  const scheduled = condition(o, 'PodScheduled');
  if (scheduled?.status === 'False') return inProgress(`not scheduled: ${explain(scheduled, 'pending')}`);
  const waiting = ((o.status?.containerStatuses ?? []) as ContainerStatus[])
    .filter((c) => !c.ready)
    .map((c) => {
      const [state, info] = Object.entries(c.state ?? {})[0] ?? ['unknown', {}];
      return `${c.name} ${info.reason ?? state}`;
    });
  return inProgress(`${phase}${waiting.length ? `: ${waiting.join(', ')}` : ''}`);
}

export function jobStatus(o: KubeObject): StatusResult {
  const s = o.status ?? {};
  const failed = conditionTrue(o, 'Failed');
  if (failed) return failedStatus(explain(failed, 'failed'));
  const complete = conditionTrue(o, 'Complete');
  if (complete) return current(`complete (${num(s.succeeded)} succeeded)`);
  if (o.spec?.suspend === true) return current('suspended');
  const limit = num(o.spec?.backoffLimit, 6);
  const parts = [`${num(s.active)} active`, `${num(s.succeeded)} succeeded`];
  if (num(s.failed) > 0) parts.push(`${num(s.failed)} failed of backoffLimit ${limit}`);
  return inProgress(`running: ${parts.join(', ')}`);
}

/** A CronJob has nothing to wait for: accepted by the API (and its controller) is all it can be. */
export function cronJobStatus(o: KubeObject): StatusResult {
  return current(o.spec?.suspend === true ? 'suspended' : `scheduled (${String(o.spec?.schedule ?? '')})`);
}

export function pvcStatus(o: KubeObject): StatusResult {
  const phase = String(o.status?.phase ?? 'Pending');
  if (phase === 'Bound') return current('bound');
  if (phase === 'Lost') return failedStatus('lost: its volume is gone');
  return inProgress(`${phase}: not bound yet`);
}

function addresses(o: KubeObject): string[] {
  const lb = (o.status?.loadBalancer ?? {}) as { ingress?: { ip?: string; hostname?: string }[] };
  return (lb.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '').filter(Boolean);
}

export function serviceStatus(o: KubeObject): StatusResult {
  if (o.spec?.type !== 'LoadBalancer') return current(`${String(o.spec?.type ?? 'ClusterIP')}`);
  const a = addresses(o);
  return a.length ? current(`address ${a.join(', ')}`) : inProgress('waiting for a load balancer address');
}

export function ingressStatus(o: KubeObject): StatusResult {
  const a = addresses(o);
  return a.length ? current(`address ${a.join(', ')}`) : inProgress('waiting for an address');
}

export function crdStatus(o: KubeObject): StatusResult {
  const names = condition(o, 'NamesAccepted');
  if (names?.status === 'False') return failedStatus(explain(names, 'names not accepted'));
  const established = condition(o, 'Established');
  return established?.status === 'True' ? current('established') : inProgress(explain(established, 'not established'));
}

export function apiServiceStatus(o: KubeObject): StatusResult {
  const available = condition(o, 'Available');
  return available?.status === 'True' ? current('available') : inProgress(explain(available, 'not available'));
}

function conditionTrue(o: KubeObject, type: string) {
  const c = condition(o, type);
  return c?.status === 'True' ? c : undefined;
}
