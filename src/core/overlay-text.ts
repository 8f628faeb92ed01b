/**
 * An overlay's text as history walks it: its `images:` entries with the line each starts on, and a hash
 * of everything but the fields that cannot change a container's image (its pre-render identity). A
 * diff hunk that only rewrites lines inside entries is applied by re-reading those entries alone, so
 * thousands of tag bumps of a 300-image overlay cost a few lines each, not a parse each.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { scanImages } from './images-scan.js';
import { type KustomizeImage, parseKustomization, readImages } from './kustomization.js';

/** Fields of an overlay that cannot change which image a container gets (not part of the pre-render). */
export const NEUTRAL_FIELDS = [
  'images',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'commonLabels',
  'labels',
  'commonAnnotations',
  'replicas',
];

/** Fields of an overlay that act after (or around) its `images:`: such an overlay is rendered whole. */
export const AFTER_IMAGES_FIELDS = ['replacements', 'transformers', 'vars', 'configurations'];

export interface OverlayScan {
  entries: KustomizeImage[];
  /** Line index of each entry's dash, when the list is in plain block style (else undefined). */
  starts?: number[];
  /** [first, end) line indexes of the entries. */
  block?: [number, number];
  /** Identity of the pre-render: the text without its neutral fields. */
  preHash: string;
  /** The overlay has fields that act after `images:` (render it whole). */
  unmodelled: boolean;
  /** Set by reverseScan: the indexes of the entries it re-read (the others are unchanged). */
  touched?: number[];
}

/** One hunk of a unified diff with zero context: new lines [start, start+count) replace `old`. */
export interface Hunk {
  /** 1-based first line in the new text (for count 0: the line after which the old lines were). */
  start: number;
  count: number;
  old: string[];
}

const TOP_KEY = /^([A-Za-z_][\w.-]*|"[^"]*"|'[^']*')\s*:(\s|$)/;

/** Reads an overlay's text fully. */
export function scanOverlay(text: string, file: string): OverlayScan {
  const lines = text.split('\n');
  const sections = topLevelSections(lines);
  let preHash: string;
  let unmodelled: boolean;
  if (sections) {
    const kept = sections.filter((s) => !NEUTRAL_FIELDS.includes(s.key));
    preHash = hash(`sections\n${kept.map((s) => lines.slice(s.start, s.end).join('\n')).join('\n')}`);
    unmodelled = sections.some((s) => AFTER_IMAGES_FIELDS.includes(s.key));
  } else {
    const js = (parseKustomization(text, file).toJS() ?? {}) as Record<string, unknown>;
    preHash = hash(`parsed\n${preRenderText(js)}`);
    unmodelled = Object.keys(js).some((k) => AFTER_IMAGES_FIELDS.includes(k));
  }
  const block = sections?.find((s) => s.key === 'images');
  const scanned =
    block && block.start + 1 < block.end ? scanImages(lines.slice(block.start, block.end).join('\n')) : undefined;
  if (scanned && block) {
    const starts: number[] = [];
    for (let i = block.start + 1; i < block.end; i++) if (/^\s*-\s/.test(lines[i] as string)) starts.push(i);
    if (starts.length === scanned.length) {
      return { entries: scanned, starts, block: [block.start + 1, block.end], preHash, unmodelled };
    }
  }
  return { entries: readImages(parseKustomization(text, file), file), preHash, unmodelled };
}

/** The overlay without its neutral fields, as the pre-render's kustomization. */
export function preRenderText(k: Record<string, unknown>): string {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(k ?? {})) if (!NEUTRAL_FIELDS.includes(key)) rest[key] = value;
  return stringify(rest);
}

/**
 * The text without the top-level `fields` (e.g. a 300-entry `images:` list), for readers that need only
 * the rest; the text itself when it is not a plain block mapping.
 */
export function withoutFields(text: string, fields: string[]): string {
  const lines = text.split('\n');
  const sections = topLevelSections(lines);
  if (!sections) return text;
  return sections
    .filter((s) => !fields.includes(s.key))
    .map((s) => lines.slice(s.start, s.end).join('\n'))
    .join('\n');
}

/** Undoes hunks (new → old text); hunks in file order. */
export function reverseHunks(lines: string[], hunks: Hunk[]): string[] {
  const out = [...lines];
  for (let i = hunks.length - 1; i >= 0; i--) {
    const h = hunks[i] as Hunk;
    const at = h.count === 0 ? h.start : h.start - 1;
    out.splice(at, h.count, ...h.old);
  }
  return out;
}

/**
 * The scan of the old text, from the new text's scan, when every hunk rewrites lines inside entries
 * one for one (no entry starts or ends); undefined when the old text must be scanned whole.
 */
export function reverseScan(
  scan: OverlayScan,
  newLines: string[],
  oldLines: string[],
  hunks: Hunk[],
): OverlayScan | undefined {
  const { starts, block } = scan;
  if (!starts || !block || starts.length === 0) return undefined;
  const touched = new Set<number>();
  for (const h of hunks) {
    if (h.count !== h.old.length || h.count === 0) return undefined;
    for (let l = h.start - 1; l < h.start - 1 + h.count; l++) {
      if (l <= (starts[0] as number) || l >= block[1]) return undefined;
      if (/^\s*-\s/.test(newLines[l] as string) || /^\s*-\s/.test(oldLines[l] as string)) return undefined;
      if (!/^\s/.test(oldLines[l] as string)) return undefined;
      let k = starts.length - 1;
      while ((starts[k] as number) > l) k--;
      touched.add(k);
    }
  }
  const entries = [...scan.entries];
  for (const k of touched) {
    const from = starts[k] as number;
    const to = k + 1 < starts.length ? (starts[k + 1] as number) : block[1];
    const one = scanImages(`images:\n${oldLines.slice(from, to).join('\n')}`);
    const entry = one?.length === 1 ? one[0] : undefined;
    if (!entry) return undefined;
    entries[k] = entry;
  }
  return { ...scan, entries, touched: [...touched] };
}

/**
 * Top-level keys and their line ranges, for a block-style mapping whose keys start at column 0; undefined
 * for anything else (flow style, several documents, anchors), which is parsed instead.
 */
function topLevelSections(lines: string[]): { key: string; start: number; end: number }[] | undefined {
  const out: { key: string; start: number; end: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '' || line.startsWith('#') || line.startsWith(' ') || line.startsWith('- ') || line === '-') continue;
    if (line.startsWith('---') && out.length === 0 && /^---\s*(#.*)?$/.test(line)) continue;
    if (line.includes('\t') || /[&*!]/.test(line.split('#')[0]?.split(':')[1] ?? '')) return undefined;
    const m = TOP_KEY.exec(line);
    if (!m) return undefined;
    const last = out.at(-1);
    if (last) last.end = i;
    out.push({ key: (m[1] as string).replace(/^["']|["']$/g, ''), start: i, end: lines.length });
  }
  if (new Set(out.map((s) => s.key)).size !== out.length) return undefined;
  return out;
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
