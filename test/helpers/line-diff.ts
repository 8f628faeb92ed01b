/** Counts how many lines a text edit inserts and deletes (an LCS over lines, for files of a few hundred lines). */

export interface LineDiff {
  inserted: number;
  deleted: number;
  /** max(inserted, deleted): a line replaced counts once, as a reviewer reads it. */
  changed: number;
}

export function lineDiff(before: string, after: string): LineDiff {
  const a = before.split('\n');
  const b = after.split('\n');
  // Trim the common head and tail, then LCS on what is left.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const row = new Array<number>(y.length + 1).fill(0);
  for (let i = 1; i <= x.length; i++) {
    let diag = 0;
    for (let j = 1; j <= y.length; j++) {
      const up = row[j] as number;
      row[j] = x[i - 1] === y[j - 1] ? diag + 1 : Math.max(up, row[j - 1] as number);
      diag = up;
    }
  }
  const common = row[y.length] as number;
  const inserted = y.length - common;
  const deleted = x.length - common;
  return { inserted, deleted, changed: Math.max(inserted, deleted) };
}
