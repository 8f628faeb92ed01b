/**
 * What waiting for rollouts looks like: on a terminal a live view per workload (replicas updated,
 * ready and available against desired, elapsed time) redrawn in place; in CI and pipes a timestamped
 * line only when a workload's counts change. The counts come from a watch per workload, not polling.
 */
import type { StreamHandle } from '../../adapters/exec.js';
import { type ClusterTarget, type KubectlContext, watchObject } from '../../adapters/kubectl.js';
import type { Colors, CommandContext, LiveRegion } from '../../core/io.js';
import { describeRef, type Workload } from '../../core/workloads.js';

export interface Replicas {
  desired: number;
  updated: number;
  ready: number;
  available: number;
}

interface Row {
  w: Workload;
  replicas?: Replicas;
  /** undefined while waiting; true ready; false failed or timed out. */
  ok?: boolean;
  endedAt?: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 120;

/** The replica counts of a Deployment, StatefulSet or DaemonSet object as the API returns it. */
export function replicasOf(kind: Workload['kind'], o: Record<string, unknown>): Replicas {
  const spec = (o.spec ?? {}) as Record<string, unknown>;
  const status = (o.status ?? {}) as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  if (kind === 'DaemonSet') {
    return {
      desired: n(status.desiredNumberScheduled),
      updated: n(status.updatedNumberScheduled),
      ready: n(status.numberReady),
      available: n(status.numberAvailable),
    };
  }
  // spec.replicas defaults to 1 when the manifest leaves it out.
  return {
    desired: spec.replicas === undefined ? 1 : n(spec.replicas),
    updated: n(status.updatedReplicas),
    ready: n(status.readyReplicas),
    available: n(status.availableReplicas),
  };
}

export interface RolloutProgress {
  /** Marks a workload finished: prints its ✓ (or ✗) line and stops its watch. */
  finish(w: Workload, ok: boolean): Promise<void>;
  /** Stops every watch and clears the live view; safe to call twice. */
  close(): Promise<void>;
}

/** Starts watching `workloads` and shows their progress until `close()`. */
export function trackRollouts(
  workloads: Workload[],
  timeoutMs: number,
  target: ClusterTarget,
  k: KubectlContext,
  ctx: CommandContext,
  now: () => number = Date.now,
): RolloutProgress {
  const c = ctx.log.color;
  const started = now();
  const rows = new Map<Workload, Row>(workloads.map((w) => [w, { w }]));
  const region: LiveRegion | undefined = workloads.length > 0 ? ctx.log.live?.() : undefined;
  const seconds = (row: Row) => Math.round(((row.endedAt ?? now()) - started) / 1000);
  let frame = 0;

  const draw = () => {
    if (!region) return;
    const spin = SPINNER[frame % SPINNER.length] as string;
    const pending = [...rows.values()].filter((r) => r.ok === undefined);
    const names = pending.map((r) => describeRef(r.w));
    const width = Math.max(0, ...names.map((n) => n.length));
    region.update(
      pending
        .map(
          (r, i) =>
            `  ${c.cyan(spin)} ${(names[i] as string).padEnd(width)}  ${counts(r.replicas, c)}  ${c.dim(`${seconds(r)}s`)}`,
        )
        .join('\n'),
    );
  };
  const timer = region
    ? setInterval(() => {
        frame += 1;
        draw();
      }, FRAME_MS)
    : undefined;
  timer?.unref();

  const watches = new Map<Workload, StreamHandle>();
  for (const w of workloads) {
    const group = w.apiVersion.includes('/') ? `.${w.apiVersion.split('/')[0]}` : '';
    const ref = `${w.kind.toLowerCase()}${group}/${w.name}`;
    watches.set(
      w,
      watchObject(
        { ref, ...(w.namespace && { namespace: w.namespace }), maxMs: timeoutMs + 30_000 },
        target,
        k,
        (o) => {
          const row = rows.get(w) as Row;
          const next = replicasOf(w.kind, o);
          const before = row.replicas;
          row.replicas = next;
          if (row.ok !== undefined || (before && same(before, next))) return;
          if (region) draw();
          else ctx.log.info(`[${clock(now())}] ${describeRef(w)} ${plain(next)}`);
        },
      ),
    );
  }
  draw();

  const stop = async (w: Workload) => {
    const h = watches.get(w);
    watches.delete(w);
    await h?.stop();
  };
  let closed = false;
  return {
    finish: async (w, ok) => {
      const row = rows.get(w);
      if (!row || row.ok !== undefined) return;
      row.ok = ok;
      row.endedAt = now();
      await stop(w);
      if (ok)
        ctx.log.info(
          `  ${c.green('✓')} ${describeRef(w)} ready ${c.dim(`(${row.replicas ? `${row.replicas.ready}/${row.replicas.desired}, ` : ''}${seconds(row)}s)`)}`,
        );
      else
        ctx.log.info(
          `  ${c.red('✗')} ${describeRef(w)} not ready ${c.dim(`(${row.replicas ? `${plain(row.replicas)}, ` : ''}${seconds(row)}s)`)}`,
        );
      draw();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      region?.close();
      await Promise.all([...watches.keys()].map(stop));
    },
  };
}

function same(a: Replicas, b: Replicas): boolean {
  return a.desired === b.desired && a.updated === b.updated && a.ready === b.ready && a.available === b.available;
}

/** `1/2 ready, 2/2 updated, 1/2 available` */
function plain(r: Replicas): string {
  return `${r.ready}/${r.desired} ready, ${r.updated}/${r.desired} updated, ${r.available}/${r.desired} available`;
}

function counts(r: Replicas | undefined, c: Colors): string {
  if (!r) return c.dim('waiting for the first status');
  const part = (label: string, n: number) =>
    `${label} ${n === r.desired ? c.green(`${n}/${r.desired}`) : c.yellow(`${n}/${r.desired}`)}`;
  return [part('updated', r.updated), part('ready', r.ready), part('available', r.available)].join('  ');
}

/** HH:MM:SS, local time (as a CI log's own clock would show it). */
function clock(t: number): string {
  const d = new Date(t);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
