/**
 * The live report of a verification, kapp-style: "waiting on 3 of 7: Deployment/web 1/2 ready, …".
 * On a terminal it is redrawn in place; in CI and pipes a timestamped line is printed when what is
 * awaited changes (at most once a second), inside a collapsible section on GitLab; with --json-events each
 * change is one JSON event per line on stderr (stdout keeps the command's result alone).
 */

import type { CommandContext, LiveRegion } from '../../core/io.js';
import { doneLine, type Tracked, waitingLine } from '../../core/status/summary.js';

export interface Reporter {
  /** An object's status or message changed. */
  changed(t: Tracked, all: readonly Tracked[]): void;
  /** An object reached its final status (Current or Failed). */
  finished(t: Tracked): void;
  /** Something worth a line of its own (a pod failing fast, an API outage). */
  note(line: string, data?: Record<string, unknown>): void;
  /** Once a second, so elapsed times move. */
  tick(all: readonly Tracked[]): void;
  close(all: readonly Tracked[]): void;
}

export function createReporter(
  ctx: CommandContext,
  title: string,
  o: { json?: boolean } = {},
  now: () => number = Date.now,
): Reporter {
  const started = now();
  const elapsed = () => now() - started;
  if (o.json) return jsonReporter(ctx, elapsed);
  const c = ctx.log.color;
  const region: LiveRegion | undefined = ctx.log.live?.();
  const closeSection = region ? undefined : ctx.log.section?.('verify', title);
  if (!closeSection) ctx.log.info(title);
  let lastLine = '';
  let lastPrinted = Number.NEGATIVE_INFINITY;
  let pending: string | undefined;
  const draw = (all: readonly Tracked[]) => {
    const line = waitingLine(all, elapsed());
    if (region) {
      const rows = all
        .filter((t) => t.status !== 'Current' && t.status !== 'Failed')
        .slice(0, 12)
        .map((t) => `    ${c.dim('·')} ${t.ref} ${c.yellow(t.message)}`);
      region.update([`  ${c.cyan('…')} ${line}`, ...rows].join('\n'));
      return;
    }
    // Without a terminal: print when what is awaited changed, not for every elapsed second.
    const gist = line.replace(/ \(\d+ s\)$/, '');
    if (gist === lastLine) return;
    if (now() - lastPrinted < 1000) {
      pending = gist;
      return;
    }
    lastLine = gist;
    lastPrinted = now();
    pending = undefined;
    ctx.log.info(`  [${clock(now())}] ${line}`);
  };
  return {
    changed: (_t, all) => draw(all),
    finished: (t) => {
      const line = doneLine(t);
      ctx.log.info(`  ${t.status === 'Current' ? c.green(line.slice(0, 1)) : c.red(line.slice(0, 1))}${line.slice(1)}`);
    },
    note: (line) => ctx.log.info(`  ${line}`),
    tick: (all) => {
      if (region || pending !== undefined) draw(all);
    },
    close: () => {
      region?.close();
      closeSection?.();
    },
  };
}

function jsonReporter(ctx: CommandContext, elapsed: () => number): Reporter {
  const emit = (e: Record<string, unknown>) =>
    ctx.io.stderr.write(`${ctx.log.scrubber.scrub(JSON.stringify({ ...e, elapsedMs: Math.round(elapsed()) }))}\n`);
  return {
    changed: (t) => emit({ event: 'status', object: t.ref, status: t.status, message: t.message }),
    finished: (t) => emit({ event: t.status === 'Current' ? 'ready' : 'failed', object: t.ref, message: t.message }),
    note: (line, data) => emit({ event: 'note', message: line, ...data }),
    tick: () => undefined,
    close: (all) =>
      emit({
        event: 'summary',
        ready: all.filter((t) => t.status === 'Current').length,
        total: all.length,
      }),
  };
}

/** HH:MM:SS, local time (as a CI log's own clock would show it). */
function clock(t: number): string {
  const d = new Date(t);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
