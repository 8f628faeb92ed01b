/**
 * status(object) → Current | InProgress | Failed | Terminating | NotFound, with a message: one rule
 * table for the built-in kinds, rules from config for custom resources, and the conditions convention
 * (Ready / Available / Stalled / Failed / Reconciling) for every other object. Pure: the watcher feeds
 * it live objects, the reporter prints what it returns.
 */
import {
  apiServiceStatus,
  crdStatus,
  cronJobStatus,
  ingressStatus,
  jobStatus,
  podStatus,
  pvcStatus,
  serviceStatus,
} from './others.js';
import {
  type ConditionRule,
  conditionsOf,
  current,
  explain,
  failedStatus,
  groupKind,
  inProgress,
  type KubeObject,
  type StatusResult,
} from './types.js';
import { daemonSetStatus, deploymentStatus, replicaSetStatus, statefulSetStatus } from './workloads.js';

export * from './types.js';

type Rule = (o: KubeObject) => StatusResult;

/** The built-in rules, by `group/Kind` (core group: `Kind`). */
export const RULES: Readonly<Record<string, Rule>> = {
  'apps/Deployment': deploymentStatus,
  'apps/StatefulSet': statefulSetStatus,
  'apps/DaemonSet': daemonSetStatus,
  'apps/ReplicaSet': replicaSetStatus,
  Pod: podStatus,
  'batch/Job': jobStatus,
  'batch/CronJob': cronJobStatus,
  PersistentVolumeClaim: pvcStatus,
  Service: serviceStatus,
  'networking.k8s.io/Ingress': ingressStatus,
  'apiextensions.k8s.io/CustomResourceDefinition': crdStatus,
  'apiregistration.k8s.io/APIService': apiServiceStatus,
};

export interface StatusOptions {
  /** Rules from config for kinds the table does not know (or to override it). */
  rules?: ConditionRule[];
}

/** The status of a live object (undefined: it does not exist). */
export function statusOf(o: KubeObject | undefined, opts: StatusOptions = {}): StatusResult {
  if (!o) return { status: 'NotFound', message: 'not found' };
  if (o.metadata?.deletionTimestamp) return { status: 'Terminating', message: 'being deleted' };
  // A status computed for an older spec says nothing about the spec just applied.
  const observed = o.status?.observedGeneration;
  const generation = o.metadata?.generation;
  if (typeof observed === 'number' && typeof generation === 'number' && observed < generation)
    return inProgress(`generation ${generation} not yet observed (status is for ${observed})`);
  const custom = ruleFor(o, opts.rules);
  if (custom) return byRule(o, custom);
  const rule = RULES[groupKind(o)];
  if (rule) return rule(o);
  return byConditions(o);
}

/** The config rule for this object's kind: `group/Kind` wins over a bare `Kind`. */
function ruleFor(o: KubeObject, rules: ConditionRule[] | undefined): ConditionRule | undefined {
  if (!rules?.length) return undefined;
  const gk = groupKind(o);
  return rules.find((r) => r.kind === gk) ?? rules.find((r) => r.kind === o.kind);
}

/** `Ready` → Ready=True; `Ready=False` as written. */
function parseMatcher(m: string): { type: string; status: string } {
  const [type, status] = m.split('=');
  return { type: (type as string).trim(), status: (status ?? 'True').trim() };
}

function byRule(o: KubeObject, rule: ConditionRule): StatusResult {
  const conditions = conditionsOf(o);
  for (const m of (rule.failed ?? []).map(parseMatcher)) {
    const c = conditions.find((x) => x.type === m.type && x.status === m.status);
    if (c) return failedStatus(`${m.type}=${m.status}: ${explain(c, 'failed')}`);
  }
  const ready = (rule.ready ?? ['Ready']).map(parseMatcher);
  const missing = ready.filter((m) => !conditions.some((x) => x.type === m.type && x.status === m.status));
  if (missing.length === 0) return current(ready.map((m) => `${m.type}=${m.status}`).join(', '));
  const first = missing[0] as { type: string; status: string };
  const c = conditions.find((x) => x.type === first.type);
  return inProgress(
    `waiting for ${missing.map((m) => `${m.type}=${m.status}`).join(', ')}${c ? ` (${explain(c, c.status)})` : ''}`,
  );
}

/**
 * The conditions convention (kstatus's): Stalled or Failed True fails; Reconciling True waits; Ready
 * (else Available) decides; an object without conditions is current once it exists.
 */
export function byConditions(o: KubeObject): StatusResult {
  const conditions = conditionsOf(o);
  const is = (type: string, status = 'True') => conditions.find((c) => c.type === type && c.status === status);
  const stalled = is('Stalled') ?? is('Failed');
  if (stalled) return failedStatus(`${stalled.type}: ${explain(stalled, 'true')}`);
  const reconciling = is('Reconciling');
  if (reconciling) return inProgress(`reconciling: ${explain(reconciling, 'in progress')}`);
  const ready = conditions.find((c) => c.type === 'Ready') ?? conditions.find((c) => c.type === 'Available');
  if (ready)
    return ready.status === 'True'
      ? current(`${ready.type}`)
      : inProgress(`${ready.type}=${ready.status}: ${explain(ready, 'not yet')}`);
  return current('exists');
}

/**
 * Kinds whose objects have no status to wait for: present once the apply succeeded, so they are not
 * watched (unless a config rule names them).
 */
export const NO_STATUS_KINDS = new Set([
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'Namespace',
  'LimitRange',
  'ResourceQuota',
  'Endpoints',
  'discovery.k8s.io/EndpointSlice',
  'rbac.authorization.k8s.io/Role',
  'rbac.authorization.k8s.io/RoleBinding',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'networking.k8s.io/NetworkPolicy',
  'networking.k8s.io/IngressClass',
  'policy/PodDisruptionBudget',
  'autoscaling/HorizontalPodAutoscaler',
  'scheduling.k8s.io/PriorityClass',
  'storage.k8s.io/StorageClass',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
]);

/** Kinds whose pods the fail-fast check looks at. */
export const POD_OWNERS = new Set([
  'apps/Deployment',
  'apps/StatefulSet',
  'apps/DaemonSet',
  'apps/ReplicaSet',
  'batch/Job',
  'Pod',
]);
