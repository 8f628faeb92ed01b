/** The vocabulary of object status (kstatus's): what a rule computes from one live object. */

export type Status = 'Current' | 'InProgress' | 'Failed' | 'Terminating' | 'NotFound';

export interface StatusResult {
  status: Status;
  /** One line a person can act on, e.g. `1/2 ready` or `BackoffLimitExceeded: Job has reached the specified backoff limit`. */
  message: string;
}

/** A Kubernetes object as the API returns it (only what the rules read is typed). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
    creationTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/**
 * A rule from config (`verify.rules`): for a kind, which conditions mean ready and which mean failed.
 * Each entry is `Type` (meaning Type=True) or `Type=Status`.
 */
export interface ConditionRule {
  /** `Kind` or `group/Kind`, e.g. `Certificate` or `cert-manager.io/Certificate`. */
  kind: string;
  ready?: string[];
  failed?: string[];
}

export const current = (message: string): StatusResult => ({ status: 'Current', message });
export const inProgress = (message: string): StatusResult => ({ status: 'InProgress', message });
export const failedStatus = (message: string): StatusResult => ({ status: 'Failed', message });

/** The group of an apiVersion (`apps/v1` → `apps`, `v1` → ``). */
export function groupOf(apiVersion: string | undefined): string {
  const v = apiVersion ?? '';
  return v.includes('/') ? (v.split('/')[0] as string) : '';
}

/** `group/Kind` (`apps/Deployment`), or `Kind` for the core group (`Pod`). */
export function groupKind(o: { apiVersion?: string; kind?: string }): string {
  const g = groupOf(o.apiVersion);
  return g ? `${g}/${o.kind ?? ''}` : (o.kind ?? '');
}

export function conditionsOf(o: KubeObject): Condition[] {
  const c = o.status?.conditions;
  return Array.isArray(c) ? (c.filter((x) => x && typeof x === 'object' && 'type' in x) as Condition[]) : [];
}

export function condition(o: KubeObject, type: string): Condition | undefined {
  return conditionsOf(o).find((c) => c.type === type);
}

/** A number from status/spec, or `fallback` when absent. */
export function num(v: unknown, fallback = 0): number {
  return typeof v === 'number' ? v : fallback;
}

/** `reason: message`, or whichever of them is set. */
export function explain(c: Pick<Condition, 'reason' | 'message'> | undefined, fallback: string): string {
  if (!c) return fallback;
  const parts = [c.reason, c.message].filter(Boolean);
  return parts.length ? parts.join(': ') : fallback;
}
