/**
 * Verify: every object of the render reaches Current, or the deploy fails — as soon as one is Failed,
 * or one of its pods fails fast (crash loop, image pull, …), or at the deadline. The watcher feeds the
 * status rules (src/core/status), the reporter prints what they say, and a failure is explained with
 * the pod, container, reason, the crashed container's last log lines and the latest events.
 */
import { eventsAbout, type KubeApi, podLogs } from '../../adapters/kube-api.js';
import { FailFast, type FailFastOptions, type PodFailure } from '../../core/status/fail-fast.js';
import { renderOwnerOf } from '../../core/status/pods.js';
import {
  type ConditionRule,
  groupKind,
  type KubeObject,
  NO_STATUS_KINDS,
  POD_OWNERS,
  statusOf,
} from '../../core/status/status.js';
import type { Tracked } from '../../core/status/summary.js';
import { describeRef, type ObjectRef } from '../../core/workloads.js';
import type { Reporter } from './report.js';
import { keyOf, watchObjects } from './watch-objects.js';

export interface VerifyOptions {
  timeoutMs: number;
  /** false: wait to the deadline whatever the pods do (--no-fail-fast). */
  failFast: boolean;
  failFastOptions?: Partial<FailFastOptions>;
  rules?: ConditionRule[];
  /** `Kind`, `group/Kind` or `Kind/name` not to wait for. */
  skip?: string[];
  /** Only these `Kind/name` (config verify.workloads). */
  only?: string[];
}

export interface VerifyResult {
  ok: boolean;
  /** Lines naming what failed and why (empty when ok). */
  problems: string[];
  /** The API server could not be reached when the deadline came. */
  unreachable: boolean;
  /** Objects verified, and the watch connections it took. */
  verified: number;
  connections: number;
}

interface Entry extends Tracked {
  key: string;
  ref: string;
  object?: KubeObject;
  failure?: PodFailure;
}

/** Is this object waited for? */
export function awaited(r: ObjectRef, o: Pick<VerifyOptions, 'skip' | 'only' | 'rules'>): boolean {
  const gk = groupKind(r);
  if (o.only && !o.only.includes(`${r.kind}/${r.name}`)) return false;
  if (o.skip?.some((s) => s === r.kind || s === gk || s === `${r.kind}/${r.name}`)) return false;
  if (o.rules?.some((x) => x.kind === r.kind || x.kind === gk)) return true;
  return !NO_STATUS_KINDS.has(gk);
}

export async function verifyRender(
  api: KubeApi,
  refs: ObjectRef[],
  o: VerifyOptions,
  report: Reporter,
): Promise<VerifyResult> {
  const started = Date.now();
  const waitFor = refs.filter((r) => awaited(r, o));
  const entries = new Map<string, Entry>(
    waitFor.map((r) => {
      const ref = { ...r, ...(r.namespace === undefined ? {} : { namespace: r.namespace }) };
      return [
        keyOf(ref),
        { key: keyOf(ref), ref: describeRef(ref), status: 'InProgress', message: 'waiting for its first status' },
      ];
    }),
  );
  const all = () => [...entries.values()];
  if (entries.size === 0) return { ok: true, problems: [], unreachable: false, verified: 0, connections: 0 };
  const podNamespaces = [
    ...new Set(waitFor.filter((r) => POD_OWNERS.has(groupKind(r))).map((r) => r.namespace ?? api.namespace)),
  ];
  const failFast = new FailFast(o.failFastOptions);
  const byUid = new Map<string, KubeObject>();
  const entryByUid = new Map<string, Entry>();
  const replicaSets = new Map<string, KubeObject>();
  const pods = new Map<string, KubeObject>();
  let unreachableSince: number | undefined;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => {
    finish = r;
  });

  const settle = (e: Entry, status: Tracked['status'], message: string) => {
    const before = e.status;
    if (before === status && e.message === message) return;
    e.status = status;
    e.message = message;
    if (status === 'Current' || status === 'Failed') {
      e.doneAfterMs = Date.now() - started;
      report.finished(e);
    } else report.changed(e, all());
    if (status === 'Failed' && o.failFast) finish();
    if (all().every((x) => x.status === 'Current' || x.status === 'Failed')) finish();
  };
  const checkPod = (pod: KubeObject) => {
    const owner = renderOwnerOf(pod, byUid, replicaSets);
    if (!owner) return;
    const e = entryByUid.get(owner.metadata?.uid ?? '');
    const f = failFast.observe(pod);
    if (!e || !f || e.status === 'Current' || e.failure) return;
    e.failure = f;
    report.note(`${e.ref}: pod ${f.pod}${f.container ? ` container ${f.container}` : ''} ${f.reason} (${f.message})`, {
      object: e.ref,
      pod: f.pod,
      reason: f.reason,
    });
    if (o.failFast) settle(e, 'Failed', `pod ${f.pod}: ${f.reason}`);
  };

  const watch = watchObjects(api, waitFor, podNamespaces, {
    onObject: (key, obj) => {
      const e = entries.get(key);
      if (!e) return;
      if (e.object?.metadata?.uid) {
        byUid.delete(e.object.metadata.uid);
        entryByUid.delete(e.object.metadata.uid);
      }
      e.object = obj;
      if (obj?.metadata?.uid) {
        byUid.set(obj.metadata.uid, obj);
        entryByUid.set(obj.metadata.uid, e);
      }
      const s = statusOf(obj, o.rules ? { rules: o.rules } : {});
      // A pod failure already decided the entry; the status rules cannot undo it.
      if (e.failure && o.failFast) return;
      settle(e, s.status === 'Failed' && !o.failFast ? 'InProgress' : s.status, s.message);
      for (const p of pods.values()) checkPod(p);
    },
    onPod: (pod, deleted) => {
      const uid = pod.metadata?.uid ?? '';
      if (deleted) pods.delete(uid);
      else {
        pods.set(uid, pod);
        checkPod(pod);
      }
    },
    onReplicaSet: (rs, deleted) => {
      const uid = rs.metadata?.uid ?? '';
      if (deleted) replicaSets.delete(uid);
      else replicaSets.set(uid, rs);
    },
    onUnknownKind: (keys, why) => {
      for (const k of keys) {
        const e = entries.get(k);
        if (e) settle(e, 'Failed', why);
      }
    },
    onUnreachable: (why) => {
      if (unreachableSince === undefined) {
        unreachableSince = Date.now();
        report.note(`The API server is unreachable (${why}); still watching until the deadline.`, {
          unreachable: true,
        });
      }
    },
    onReachable: () => {
      if (unreachableSince !== undefined) report.note('The API server answers again.', { unreachable: false });
      unreachableSince = undefined;
    },
  });
  // Once a second: elapsed times move, and pods past their Unschedulable grace are seen.
  const ticker = setInterval(() => {
    for (const p of pods.values()) checkPod(p);
    report.tick(all());
  }, 1000);
  const timer = setTimeout(finish, o.timeoutMs);
  try {
    await done;
  } finally {
    clearInterval(ticker);
    clearTimeout(timer);
    watch.stop();
    report.close(all());
  }
  const notReady = all().filter((e) => e.status !== 'Current');
  if (notReady.length === 0)
    return { ok: true, problems: [], unreachable: false, verified: entries.size, connections: watch.connections };
  if (unreachableSince !== undefined && notReady.every((e) => e.status !== 'Failed'))
    return {
      ok: false,
      problems: notReady.map((e) => `${e.ref}: not verified, the API server was unreachable`),
      unreachable: true,
      verified: entries.size,
      connections: watch.connections,
    };
  const problems: string[] = [];
  for (const e of notReady) {
    problems.push(`${e.ref}: ${e.status === 'Failed' ? e.message : `${e.message} (not ready before the timeout)`}`);
    problems.push(...(await explain(api, e, pods, byUid, replicaSets)).map((l) => `  ${l}`));
  }
  return { ok: false, problems, unreachable: false, verified: entries.size, connections: watch.connections };
}

/** The pods of a failed object that are not ready: why, the crashed container's log, the latest events. */
async function explain(
  api: KubeApi,
  e: Entry,
  pods: Map<string, KubeObject>,
  byUid: Map<string, KubeObject>,
  replicaSets: Map<string, KubeObject>,
): Promise<string[]> {
  const lines: string[] = [];
  const mine = [...pods.values()].filter((p) => renderOwnerOf(p, byUid, replicaSets) === e.object);
  const failing = e.failure ? mine.filter((p) => p.metadata?.name === e.failure?.pod) : [];
  for (const pod of [...failing, ...mine.filter((p) => !failing.includes(p))].slice(0, 5)) {
    const s = statusOf(pod);
    if (s.status === 'Current') continue;
    const name = pod.metadata?.name ?? '';
    const ns = pod.metadata?.namespace ?? api.namespace;
    const f = e.failure?.pod === name ? e.failure : undefined;
    lines.push(`pod ${name}: ${podLine(pod)}${f ? `; ${f.reason}: ${f.message}` : ''}`);
    if (f?.crashed && f.container) {
      try {
        const log = await podLogs(api, { namespace: ns, pod: name, container: f.container, previous: true, lines: 10 });
        if (log.length) lines.push(`  last log lines of ${f.container}:`, ...log.map((l) => `    ${l}`));
      } catch (err) {
        lines.push(`  (no log of ${f.container}: ${(err as Error).message.split(': ').slice(-1)[0]})`);
      }
    }
    try {
      for (const ev of await eventsAbout(api, { namespace: ns, name, limit: 3 }))
        lines.push(
          `  event ${ev.type ?? ''} ${ev.reason ?? ''}: ${ev.message ?? ''}${(ev.count ?? 1) > 1 ? ` (×${ev.count})` : ''}`.trimEnd(),
        );
    } catch {
      // Events are a help, not a requirement.
    }
  }
  return lines;
}

/** `Ready=False (ContainersNotReady); container app waiting (CrashLoopBackOff: back-off …)` */
function podLine(pod: KubeObject): string {
  const conditions = (pod.status?.conditions ?? []) as { type: string; status: string; reason?: string }[];
  const ready = conditions.find((c) => c.type === 'Ready');
  const head = ready
    ? `Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ''}`
    : `phase ${String(pod.status?.phase ?? 'Pending')}`;
  const containers = (
    (pod.status?.containerStatuses ?? []) as {
      name: string;
      ready?: boolean;
      state?: Record<string, { reason?: string; message?: string }>;
    }[]
  )
    .filter((c) => !c.ready)
    .map((c) => {
      const [state, info] = Object.entries(c.state ?? {})[0] ?? ['unknown', {}];
      return `container ${c.name} ${state}${info.reason ? ` (${info.reason}${info.message ? `: ${info.message}` : ''})` : ''}`;
    });
  const scheduled = conditions.find((c) => c.type === 'PodScheduled' && c.status === 'False') as
    | { reason?: string; message?: string }
    | undefined;
  return [head, ...containers, ...(scheduled ? [`not scheduled: ${scheduled.message ?? scheduled.reason}`] : [])].join(
    '; ',
  );
}
