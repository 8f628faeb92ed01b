import { invalid, quote } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go-style duration (`90s`, `5m`, `1h30m`, `500ms`) to milliseconds; throws exit 2. */
export function parseDuration(text: string, what = 'duration'): number {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw invalid('DURATION_INVALID', `Invalid ${what} ${quote(text)}.`, 'Use a duration like 90s, 5m or 1h30m.', text);
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * (UNIT_MS[p[2] as string] as number), 0);
}
