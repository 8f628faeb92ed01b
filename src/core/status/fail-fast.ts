/**
 * Fail fast: a pod that will not become ready however long we wait (a crash loop past N restarts, an
 * image that cannot be pulled twice, an invalid image name, a missing ConfigMap or Secret, a pod no
 * node can take for longer than a grace period) ends the wait at once, with the reason. `kubectl
 * rollout status` waits for these until the deadline (kubernetes/kubectl#738). Pure and stateful: the
 * watcher feeds it every pod update; it counts image pull failures across updates.
 */
import { condition, type KubeObject, num } from './types.js';

export interface FailFastOptions {
  /** Restarts of a container after which a crash loop fails the deploy. Default 2. */
  restarts: number;
  /** Image pull failures (ErrImagePull) after which the deploy fails. Default 2. */
  pullFailures: number;
  /** How long a pod may stay Unschedulable, ms. Default 30 s. */
  unschedulableMs: number;
}

export const FAIL_FAST_DEFAULTS: FailFastOptions = { restarts: 2, pullFailures: 2, unschedulableMs: 30_000 };

export interface PodFailure {
  pod: string;
  namespace?: string;
  /** The container at fault (none for Unschedulable). */
  container?: string;
  /** CrashLoopBackOff, ImagePullBackOff, ErrImagePull, InvalidImageName, CreateContainerConfigError, Unschedulable… */
  reason: string;
  message: string;
  /** The container crashed: its previous instance's log says why. */
  crashed: boolean;
}

/** Waiting reasons that no amount of waiting fixes. */
const HOPELESS = new Set(['InvalidImageName', 'CreateContainerConfigError', 'ErrImageNeverPull']);
const PULL = new Set(['ErrImagePull', 'ImagePullBackOff']);

interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode?: number; message?: string };
  };
  lastState?: { terminated?: { reason?: string; exitCode?: number; message?: string } };
}

export class FailFast {
  private readonly opts: FailFastOptions;
  /** pod uid/container → the last waiting reason seen and the pull failures counted. */
  private readonly pulls = new Map<string, { last?: string; failures: number }>();
  /** pod uid → when it was first seen Unschedulable. */
  private readonly unschedulable = new Map<string, number>();

  constructor(
    opts: Partial<FailFastOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.opts = { ...FAIL_FAST_DEFAULTS, ...opts };
  }

  /** Looks at one update of a pod; returns why it will never become ready, if so. */
  observe(pod: KubeObject): PodFailure | undefined {
    const uid = pod.metadata?.uid ?? pod.metadata?.name ?? '';
    const base = {
      pod: pod.metadata?.name ?? '',
      ...(pod.metadata?.namespace && { namespace: pod.metadata.namespace }),
    };
    if (pod.metadata?.deletionTimestamp) return undefined;
    const statuses = [
      ...((pod.status?.initContainerStatuses ?? []) as ContainerStatus[]),
      ...((pod.status?.containerStatuses ?? []) as ContainerStatus[]),
    ];
    for (const c of statuses) {
      const waiting = c.state?.waiting;
      const reason = waiting?.reason ?? '';
      if (HOPELESS.has(reason))
        return { ...base, container: c.name, reason, message: waiting?.message ?? reason, crashed: false };
      const key = `${uid}/${c.name}`;
      const pull = this.pulls.get(key) ?? { failures: 0 };
      if (PULL.has(reason) && pull.last !== reason) {
        // Each ErrImagePull is one failed pull; a pod first seen already backing off has failed once.
        if (reason === 'ErrImagePull' || pull.last === undefined) pull.failures += 1;
      }
      pull.last = reason || undefined;
      this.pulls.set(key, pull);
      if (PULL.has(reason) && pull.failures >= this.opts.pullFailures)
        return {
          ...base,
          container: c.name,
          reason,
          message: `${pull.failures} failed pulls${waiting?.message ? `: ${waiting.message}` : ''}`,
          crashed: false,
        };
      const restarts = num(c.restartCount);
      if (restarts >= this.opts.restarts && restarts > 0) {
        const last = c.lastState?.terminated ?? c.state?.terminated;
        const why = reason || last?.reason || 'restarting';
        const exit = last?.exitCode === undefined ? '' : `, exit code ${last.exitCode}`;
        return {
          ...base,
          container: c.name,
          reason: why,
          message: `restarted ${restarts} times${exit}${last?.reason && last.reason !== why ? ` (${last.reason})` : ''}`,
          crashed: true,
        };
      }
    }
    const scheduled = condition(pod, 'PodScheduled');
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
      const since = this.unschedulable.get(uid) ?? this.now();
      this.unschedulable.set(uid, since);
      if (this.now() - since >= this.opts.unschedulableMs)
        return {
          ...base,
          reason: 'Unschedulable',
          message: `unschedulable for ${Math.round((this.now() - since) / 1000)} s: ${scheduled.message ?? ''}`.trim(),
          crashed: false,
        };
    } else this.unschedulable.delete(uid);
    return undefined;
  }

  /** Pods still Unschedulable, and since when: the watcher re-checks them when the grace period ends. */
  unschedulableSince(): number[] {
    return [...this.unschedulable.values()];
  }

  get options(): FailFastOptions {
    return this.opts;
  }
}
