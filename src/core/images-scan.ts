/**
 * A line scanner for a kustomization's `images:` block in the block style kustomize and gitops-flow
 * write, which the byte-keeping image edit (overlay-text.ts) reads the block with. Anything it does not
 * fully understand (flow style, anchors, tags, multi-line scalars, unknown keys) makes it give up, and
 * the edit falls back to the YAML parser. A differential test holds the two to the same answers.
 */
import type { KustomizeImage } from './kustomization.js';

const FIELDS = new Set(['name', 'newName', 'newTag', 'digest']);
const ENTRY = /^(\s*)-\s+([A-Za-z]+):\s*(.*)$/;
const FIELD = /^(\s+)([A-Za-z]+):\s*(.*)$/;

/** The `images:` entries, or undefined when the text is not in the plain block style. */
export function scanImages(text: string): KustomizeImage[] | undefined {
  if (text.includes('\t') || /^(["']images["']|\?|%|---|\.\.\.)/m.test(text)) return undefined;
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^images\s*:/.test(l));
  if (start < 0) return /^images\b/m.test(text) ? undefined : [];
  if (!/^images:\s*(#.*)?$/.test(lines[start] as string)) return undefined;
  if (lines.slice(start + 1).some((l) => /^images\s*:/.test(l))) return undefined;
  const out: KustomizeImage[] = [];
  let current: Partial<KustomizeImage> | undefined;
  let seen = new Set<string>();
  let entryIndent = -1;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^\s*(#.*)?$/.test(line)) continue;
    if (/^[^\s-]/.test(line)) break;
    const entry = ENTRY.exec(line);
    const field = entry ? undefined : FIELD.exec(line);
    const [indent, key, raw] = entry
      ? [entry[1] as string, entry[2] as string, entry[3] as string]
      : field
        ? [field[1] as string, field[2] as string, field[3] as string]
        : [];
    if (key === undefined || raw === undefined || indent === undefined || !FIELDS.has(key)) return undefined;
    const value = scalar(raw);
    if (value === undefined) return undefined;
    if (entry) {
      if (entryIndent >= 0 && indent.length !== entryIndent) return undefined;
      entryIndent = indent.length;
      if (current) out.push(finish(current));
      current = {};
      seen = new Set();
    } else if (!current || indent.length !== entryIndent + 2) {
      return undefined;
    }
    if (seen.has(key)) return undefined;
    seen.add(key);
    if (value !== '') (current as Record<string, string>)[key] = value;
  }
  if (current) out.push(finish(current));
  return out.every((i) => i.name) ? out : undefined;
}

function finish(p: Partial<KustomizeImage>): KustomizeImage {
  return p as KustomizeImage;
}

/** A one-line scalar's text, or undefined for anything but a plain, single- or double-quoted scalar. */
function scalar(raw: string): string | undefined {
  if (raw.trim().startsWith('#')) return '';
  const text = raw.replace(/\s+#.*$/, '').trim();
  if (['', '~', 'null', 'Null', 'NULL'].includes(text)) return '';
  const first = text[0] as string;
  if (first === '"') {
    if (!/^"([^"\\]|\\["\\/bfnrt])*"$/.test(text)) return undefined;
    return JSON.parse(text) as string;
  }
  if (first === "'") {
    if (!/^'([^']|'')*'$/.test(text)) return undefined;
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (/^[&*!|>{[@`%,?:-]/.test(text) || text.includes(': ') || text.includes(' #')) return undefined;
  // Plain numbers and booleans are not strings to YAML (nor to kustomize): the parser reports them.
  if (
    /^([-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|true|false|True|False|TRUE|FALSE)$/.test(
      text,
    )
  )
    return undefined;
  return text;
}
