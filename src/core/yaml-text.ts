/**
 * Helpers to edit YAML as text (house style 18): positions of lines and columns in the source, the
 * file's own conventions (line ending, quoting, list indentation), and scalars written so that they
 * read back as the same string under both YAML 1.1 and 1.2 (kustomize's parser is YAML 1.1-ish).
 */
import { type Document, isMap, isScalar, isSeq, parseDocument, type Scalar, visit } from 'yaml';

/** One change of the source: replace `[start, end)` with `text` (an insertion when start = end). */
export interface Splice {
  start: number;
  end: number;
  text: string;
}

export type ScalarStyle = 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE';

/** Applies splices (non-overlapping); splices at the same position land in the order given. */
export function applySplices(text: string, splices: Splice[]): string {
  const ordered = splices.map((s, i) => ({ ...s, i })).sort((a, b) => b.start - a.start || b.i - a.i);
  let out = text;
  for (const s of ordered) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}

/** Offset of the first character of the line holding `pos`. */
export function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

/** Offset just past the newline ending the line holding `pos` (the text's length on the last line). */
export function lineEnd(text: string, pos: number): number {
  const nl = text.indexOf('\n', pos);
  return nl < 0 ? text.length : nl + 1;
}

/** Column (0-based) of `pos` on its line. */
export function column(text: string, pos: number): number {
  return pos - lineStart(text, pos);
}

/** 1-based line number of `pos`. */
export function lineOf(text: string, pos: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Is the text from the line's start up to `pos` only spaces (the node starts its line)? */
export function startsLine(text: string, pos: number): boolean {
  return text.slice(lineStart(text, pos), pos).trim() === '';
}

/** The line ending most of the file uses. */
export function lineEnding(text: string): string {
  const crlf = text.split('\r\n').length - 1;
  const lf = text.split('\n').length - 1 - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

/** The quote style the file uses when it quotes (double unless single quotes dominate). */
export function quoteStyle(doc: Document): 'QUOTE_DOUBLE' | 'QUOTE_SINGLE' {
  let single = 0;
  let double = 0;
  visit(doc, {
    Scalar(_, node) {
      if (node.type === 'QUOTE_SINGLE') single++;
      if (node.type === 'QUOTE_DOUBLE') double++;
    },
  });
  return single > double ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE';
}

/**
 * How far the file's block lists indent their `-` from their key: 0 for the compact style kustomize
 * writes (`key:\n- x`), 2 for `key:\n  - x`. Undefined when the file has no block list.
 */
export function listIndent(doc: Document, text: string): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (found !== undefined) return visit.BREAK;
      if (!isScalar(pair.key) || !isSeq(pair.value) || pair.value.flow || pair.value.items.length === 0) return;
      const first = pair.value.items[0] as { range?: [number, number, number] };
      const keyPos = pair.key.range?.[0];
      const itemPos = first.range?.[0];
      if (keyPos === undefined || itemPos === undefined || !startsLine(text, keyPos)) return;
      const dash = text.lastIndexOf('-', itemPos);
      if (dash < 0 || !startsLine(text, dash)) return;
      found = column(text, dash) - column(text, keyPos);
    },
  });
  return found;
}

/** Does `value` read back as this very string when written plain (in block or flow context)? */
export function plainIsSafe(value: string, flow: boolean): boolean {
  if (value === '' || value.trim() !== value || /[\n\r\t#]|: |^[-?:,[\]{}&*!|>'"%@`]/.test(value)) return false;
  if (flow && /[,[\]{}:]/.test(value)) return false;
  for (const version of ['1.1', '1.2'] as const) {
    const doc = parseDocument(flow ? `{k: ${value}}` : `k: ${value}`, { version });
    if (doc.errors.length > 0 || !isMap(doc.contents) || doc.get('k') !== value) return false;
  }
  return true;
}

/** Writes `value` as a scalar of the given style, quoting a plain one that would not read back as text. */
export function writeScalar(
  value: string,
  style: ScalarStyle | undefined,
  fallback: 'QUOTE_DOUBLE' | 'QUOTE_SINGLE',
  flow: boolean,
): string {
  const chosen = style === undefined || style === 'PLAIN' ? (plainIsSafe(value, flow) ? 'PLAIN' : fallback) : style;
  if (chosen === 'PLAIN') return value;
  if (chosen === 'QUOTE_SINGLE') return `'${value.replace(/'/g, "''")}'`;
  return JSON.stringify(value);
}

/** A scalar's style when it is one of the three one-line styles, else undefined. */
export function styleOf(node: unknown): ScalarStyle | undefined {
  if (!isScalar(node)) return undefined;
  const t = (node as Scalar).type;
  return t === 'PLAIN' || t === 'QUOTE_DOUBLE' || t === 'QUOTE_SINGLE' ? t : undefined;
}
