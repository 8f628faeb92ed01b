/** The words of the live report: one line for what is still awaited, one per finished object. */
import type { Status } from './types.js';

export interface Tracked {
  /** `Kind/name`, or `Kind/name (namespace ns)`. */
  ref: string;
  status: Status;
  message: string;
  /** When it reached a final status (Current / Failed), ms since the wait began. */
  doneAfterMs?: number;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * `waiting on 3 of 7: Deployment/web 1/2 ready, Job/migrate running (12 s)` — at most `max` objects
 * named, the rest counted.
 */
export function waitingLine(all: readonly Tracked[], elapsedMs: number, max = 4): string {
  const pending = all.filter((t) => t.status !== 'Current' && t.status !== 'Failed');
  if (pending.length === 0) return `all ${all.length} ready (${seconds(elapsedMs)})`;
  const named = pending.slice(0, max).map((t) => `${t.ref} ${t.message}`);
  const more = pending.length > max ? `, and ${pending.length - max} more` : '';
  return `waiting on ${pending.length} of ${all.length}: ${named.join(', ')}${more} (${seconds(elapsedMs)})`;
}

/** `✓ Deployment/web ready: 2/2 ready (3 s)` / `✗ Job/migrate failed: BackoffLimitExceeded (12 s)` */
export function doneLine(t: Tracked): string {
  const ok = t.status === 'Current';
  return `${ok ? '✓' : '✗'} ${t.ref} ${ok ? 'ready' : 'failed'}: ${t.message}${t.doneAfterMs === undefined ? '' : ` (${seconds(t.doneAfterMs)})`}`;
}
