/**
 * `kustomize edit set image` as byte-preserving edits of the file (house style 18). The images the file
 * must hold are decided by `planImages` (kustomize's semantics); this module only writes them: a changed
 * field replaces that scalar's bytes in its own quoting, a dropped field loses its line, a new field or
 * entry is written the way its neighbours are (indentation, compact or indented list, flow or block,
 * quoting, line ending) and new entries land in name order when the list is sorted. Every other byte,
 * comments, blank lines and key order included, stays. When a file holds a shape we do not edit as text
 * (anchors, tags, multi-line scalars), or the edited text would not read back as planned, the document
 * is re-serialized instead and the caller is told (`method`).
 */
import { type Document, isMap, isScalar, isSeq, type Pair, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import {
  type KustomizeImage,
  parseKustomization,
  planImages,
  readImages,
  sameImages,
  setImages,
} from './kustomization.js';
import {
  applySplices,
  column,
  lineEnd,
  lineEnding,
  lineStart,
  listIndent,
  quoteStyle,
  type ScalarStyle,
  type Splice,
  startsLine,
  styleOf,
  writeScalar,
} from './yaml-text.js';

export interface ImageEdit {
  text: string;
  changed: boolean;
  /** `splice`: only the bytes of what changed; `reserialize`: the whole document was written again. */
  method: 'splice' | 'reserialize';
}

type Field = keyof KustomizeImage;
const ORDER: Field[] = ['name', 'newName', 'newTag', 'digest'];
type Range = [number, number, number];

/** Sets images in a kustomization's text like `kustomize edit set image`; `file` names it in errors. */
export function editImages(text: string, file: string, args: KustomizeImage[]): ImageEdit {
  const doc = parseKustomization(text, file);
  const before = readImages(doc, file);
  const after = planImages(before, args);
  if (sameImages(before, after)) return { text, changed: false, method: 'splice' };
  const spliced = spliceImages(text, doc, after);
  if (spliced !== undefined && readsAs(spliced, doc, after)) return { text: spliced, changed: true, method: 'splice' };
  setImages(doc, args);
  return { text: doc.toString({ lineWidth: 0 }), changed: true, method: 'reserialize' };
}

/** Does the edited text hold exactly the planned images and, apart from them, the same document? */
function readsAs(edited: string, original: Document, planned: KustomizeImage[]): boolean {
  const doc = parseDocument(edited, { uniqueKeys: true });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return false;
  const rest = (d: Document) => {
    const js = (d.toJS({ maxAliasCount: 100 }) ?? {}) as Record<string, unknown>;
    delete js.images;
    return JSON.stringify(js);
  };
  try {
    return sameImages(readImages(doc), planned) && rest(doc) === rest(original);
  } catch {
    return false;
  }
}

interface Style {
  eol: string;
  quote: 'QUOTE_DOUBLE' | 'QUOTE_SINGLE';
  /** The style each field's values use in the existing entries. */
  fields: Map<Field, ScalarStyle>;
}

/** The splices that turn the text's images into `planned`, or undefined for a shape we do not splice. */
function spliceImages(text: string, doc: Document, planned: KustomizeImage[]): string | undefined {
  const root = doc.contents;
  if (root !== null && (!isMap(root) || root.flow)) return undefined;
  const pair = root?.items.find((p) => isScalar(p.key) && p.key.value === 'images') as Pair | undefined;
  const seq = pair?.value;
  if (seq !== undefined && seq !== null && !isSeq(seq) && !(isScalar(seq) && seq.value === null)) return undefined;
  const items = isSeq(seq) ? (seq.items as unknown[]) : [];
  if (!items.every((m) => isMap(m) && simpleEntry(m, text))) return undefined;
  const entries = items as YAMLMap[];
  const style = fileStyle(text, doc, entries);
  const splices: Splice[] = [];
  const byName = new Map(planned.map((i) => [i.name, i]));
  for (const entry of entries) {
    const want = byName.get(String(entry.get('name')));
    if (want) splices.push(...editEntry(text, entry, want, style));
  }
  const known = new Set(entries.map((e) => String(e.get('name'))));
  const added = planned.filter((i) => !known.has(i.name));
  if (added.length > 0) {
    if (isSeq(seq) && seq.flow && seq.items.length > 0) splices.push(...addToFlowList(text, seq, added, style));
    else if (isSeq(seq) && !seq.flow) splices.push(...addToBlockList(text, seq, added, style));
    else splices.push(...newList(text, doc, pair, added, style));
  }
  return applySplices(text, splices);
}

/** An entry we can edit as text: scalar keys, one-line plain or quoted values, no anchors or tags. */
function simpleEntry(m: YAMLMap, text: string): boolean {
  return m.items.every((p) => {
    if (!isScalar(p.key) || typeof p.key.value !== 'string' || p.key.anchor || p.key.tag) return false;
    const v = p.value;
    if (v === null) return true;
    if (!isScalar(v) || v.anchor || v.tag || (v.value !== null && styleOf(v) === undefined)) return false;
    const r = v.range as Range;
    return !text.slice(r[0], r[1]).includes('\n');
  });
}

function fileStyle(text: string, doc: Document, entries: YAMLMap[]): Style {
  const fields = new Map<Field, ScalarStyle>();
  for (const e of entries)
    for (const p of e.items) {
      const s = styleOf(p.value);
      const key = (p.key as { value: Field }).value;
      if (s && !fields.has(key)) fields.set(key, s);
    }
  return { eol: lineEnding(text), quote: quoteStyle(doc), fields };
}

/** The style a new value of `field` takes: its own field's in other entries, else the entry's others'. */
function styleFor(field: Field, style: Style, entry?: YAMLMap): ScalarStyle | undefined {
  const own = style.fields.get(field);
  if (own) return own;
  const sibling = entry?.items.map((p) => styleOf(p.value)).find((s) => s !== undefined);
  return sibling ?? [...style.fields.values()][0];
}

const keyStart = (p: Pair) => (p.key as { range: Range }).range[0];
const pairEnd = (p: Pair) =>
  p.value && (p.value as { range?: Range }).range
    ? (p.value as { range: Range }).range[1]
    : (p.key as { range: Range }).range[1];

/** Splices that make one existing entry hold `want`, field by field. */
function editEntry(text: string, entry: YAMLMap, want: KustomizeImage, style: Style): Splice[] {
  const out: Splice[] = [];
  const pairs = entry.items as Pair[];
  const pairOf = (f: Field) => pairs.find((p) => (p.key as { value: string }).value === f);
  for (const field of ORDER) {
    if (field === 'name') continue;
    const pair = pairOf(field);
    const raw = pair && isScalar(pair.value) ? pair.value.value : undefined;
    const cur = typeof raw === 'string' && raw !== '' ? raw : undefined;
    const next = want[field];
    if (cur === next) continue;
    if (next === undefined) {
      if (pair) out.push(removePair(text, entry, pair));
    } else if (pair) {
      out.push(replaceValue(text, pair, next, styleOf(pair.value) ?? styleFor(field, style, entry), style, entry.flow));
    } else {
      out.push(addPair(text, entry, field, next, style));
    }
  }
  return out;
}

function replaceValue(
  text: string,
  pair: Pair,
  value: string,
  s: ScalarStyle | undefined,
  style: Style,
  flow: boolean | undefined,
): Splice {
  const written = writeScalar(value, s, style.quote, Boolean(flow));
  const v = pair.value as { range?: Range; source?: string } | null;
  if (v?.range && v.range[1] > v.range[0]) return { start: v.range[0], end: v.range[1], text: written };
  // An empty value (`newTag:`): write after the colon.
  const colon = text.indexOf(':', (pair.key as { range: Range }).range[1]);
  return { start: colon + 1, end: colon + 1, text: ` ${written}` };
}

function removePair(text: string, entry: YAMLMap, pair: Pair): Splice {
  const pairs = entry.items as Pair[];
  const i = pairs.indexOf(pair);
  const next = pairs[i + 1];
  if (entry.flow) {
    const prev = pairs[i - 1];
    if (prev) return { start: pairEnd(prev), end: pairEnd(pair), text: '' };
    return { start: keyStart(pair), end: next ? keyStart(next) : pairEnd(pair), text: '' };
  }
  // `- newName: x` (the entry's first line): the next field moves up behind the dash.
  if (!startsLine(text, keyStart(pair)) && next) return { start: keyStart(pair), end: keyStart(next), text: '' };
  return { start: lineStart(text, keyStart(pair)), end: lineEnd(text, pairEnd(pair)), text: '' };
}

/** Adds a field after the last present field that kustomize orders before it. */
function addPair(text: string, entry: YAMLMap, field: Field, value: string, style: Style): Splice {
  const pairs = entry.items as Pair[];
  const rank = ORDER.indexOf(field);
  const before = pairs.filter((p) => ORDER.indexOf((p.key as { value: Field }).value) < rank);
  const anchor = before.length > 0 ? (before.at(-1) as Pair) : (pairs[0] as Pair);
  const written = writeScalar(value, styleFor(field, style, entry), style.quote, Boolean(entry.flow));
  if (entry.flow) {
    const sep = flowSeparator(text, pairs);
    if (before.length === 0)
      return { start: keyStart(anchor), end: keyStart(anchor), text: `${field}: ${written}${sep}` };
    return { start: pairEnd(anchor), end: pairEnd(anchor), text: `${sep}${field}: ${written}` };
  }
  const indent = ' '.repeat(column(text, keyStart(pairs[0] as Pair)));
  const at = lineEnd(text, pairEnd(anchor));
  const newline = at === text.length && !text.endsWith('\n') ? style.eol : '';
  return { start: at, end: at, text: `${newline}${indent}${field}: ${written}${newline ? '' : style.eol}` };
}

/** The separator between a flow map's pairs (`, ` unless the file writes `,`). */
function flowSeparator(text: string, pairs: Pair[]): string {
  if (pairs.length < 2) return ', ';
  const between = text.slice(pairEnd(pairs[0] as Pair), keyStart(pairs[1] as Pair));
  return between.includes('\n') ? ', ' : between;
}

/** An entry's text in block or flow style, fields in kustomize's order. */
function entryText(image: KustomizeImage, style: Style, flow: boolean, fieldIndent: string): string[] {
  return ORDER.filter((f) => image[f] !== undefined).map(
    (f, i) =>
      `${i > 0 && !flow ? fieldIndent : ''}${f}: ${writeScalar(image[f] as string, styleFor(f, style), style.quote, flow)}`,
  );
}

/** Where a new name goes: before the first greater name when the list is sorted, else at the end. */
function insertionIndex(names: string[], name: string): number {
  const sorted = names.every((n, i) => i === 0 || (names[i - 1] as string) <= n);
  if (!sorted) return names.length;
  const i = names.findIndex((n) => n > name);
  return i < 0 ? names.length : i;
}

function addToBlockList(text: string, seq: YAMLSeq, added: KustomizeImage[], style: Style): Splice[] {
  const entries = seq.items as YAMLMap[];
  const names = entries.map((e) => String(e.get('name')));
  const first = entries[0] as YAMLMap;
  const firstStart = (first.range as Range)[0];
  const dash = text.lastIndexOf('-', firstStart);
  const dashCol = column(text, dash);
  const keyCol = first.flow ? dashCol + 2 : column(text, firstStart);
  const inner = first.flow && text[firstStart + 1] === ' ' ? ' ' : '';
  const line = (image: KustomizeImage) => {
    const prefix = `${' '.repeat(dashCol)}-${' '.repeat(keyCol - dashCol - 1)}`;
    if (first.flow) return `${prefix}{${inner}${entryText(image, style, true, '').join(', ')}${inner}}${style.eol}`;
    return `${prefix}${entryText(image, style, false, ' '.repeat(keyCol)).join(style.eol)}${style.eol}`;
  };
  return [...added]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((image) => {
      const i = insertionIndex(names, image.name);
      if (i < entries.length) {
        const item = entries[i] as YAMLMap;
        let at = lineStart(text, text.lastIndexOf('-', (item.range as Range)[0]));
        // Keep a comment written just above an entry with that entry.
        while (at > 0) {
          const prev = lineStart(text, at - 1);
          if (!text.slice(prev, at).trim().startsWith('#')) break;
          at = prev;
        }
        return { start: at, end: at, text: line(image) };
      }
      const last = entries.at(-1) as YAMLMap;
      const end = last.flow ? (last.range as Range)[1] : pairEnd(last.items.at(-1) as Pair);
      const at = lineEnd(text, end);
      const newline = at === text.length && !text.endsWith('\n') ? style.eol : '';
      return { start: at, end: at, text: newline + line(image) };
    });
}

function addToFlowList(text: string, seq: YAMLSeq, added: KustomizeImage[], style: Style): Splice[] {
  const entries = seq.items as YAMLMap[];
  const names = entries.map((e) => String(e.get('name')));
  const first = entries[0] as YAMLMap;
  const inner = first.flow && text[(first.range as Range)[0] + 1] === ' ' ? ' ' : '';
  const item = (image: KustomizeImage) => `{${inner}${entryText(image, style, true, '').join(', ')}${inner}}`;
  // `[` on its own line: one entry per line.
  const multiline = text.slice((seq.range as Range)[0], (first.range as Range)[0]).includes('\n');
  return [...added]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((image) => {
      const i = insertionIndex(names, image.name);
      if (multiline) {
        const indent = ' '.repeat(column(text, (first.range as Range)[0]));
        if (i < entries.length) {
          const at = lineStart(text, ((entries[i] as YAMLMap).range as Range)[0]);
          return { start: at, end: at, text: `${indent}${item(image)},${style.eol}` };
        }
        const lastEnd = ((entries.at(-1) as YAMLMap).range as Range)[1];
        const comma = text.slice(lastEnd).match(/^\s*,/)?.[0];
        const at = comma ? lastEnd + comma.length : lastEnd;
        return {
          start: at,
          end: at,
          text: `${comma ? '' : ','}${style.eol}${indent}${item(image)}${comma ? ',' : ''}`,
        };
      }
      if (i < entries.length) {
        const at = ((entries[i] as YAMLMap).range as Range)[0];
        return { start: at, end: at, text: `${item(image)}, ` };
      }
      const at = ((entries.at(-1) as YAMLMap).range as Range)[1];
      return { start: at, end: at, text: `, ${item(image)}` };
    });
}

/** A new `images:` list (none, `images:` empty, or `images: []`), in the file's list indentation. */
function newList(text: string, doc: Document, pair: Pair | undefined, added: KustomizeImage[], style: Style): Splice[] {
  const indent = ' '.repeat(listIndent(doc, text) ?? 0);
  const items = [...added]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((image) => `${indent}- ${entryText(image, style, false, `${indent}  `).join(style.eol)}${style.eol}`)
    .join('');
  if (pair) {
    const keyEnd = (pair.key as { range: Range }).range[1];
    const valueEnd = pairEnd(pair);
    const at = lineEnd(text, valueEnd);
    const newline = at === text.length && !text.endsWith('\n') ? style.eol : '';
    return [
      { start: keyEnd, end: valueEnd, text: ':' },
      { start: at, end: at, text: newline + items },
    ];
  }
  const root = doc.contents as YAMLMap | null;
  const last = root?.items.at(-1) as Pair | undefined;
  const lastLine = last ? lineStart(text, keyStart(last)) : 0;
  const blank = last && lastLine > 0 && text.slice(lineStart(text, lastLine - 1), lastLine).trim() === '';
  const newline = text.length > 0 && !text.endsWith('\n') ? style.eol : '';
  return [
    { start: text.length, end: text.length, text: `${newline}${blank ? style.eol : ''}images:${style.eol}${items}` },
  ];
}
