/**
 * Kustomization `images:` edits with the semantics of `kustomize edit set image` (kustomize v5):
 * an argument replaces the whole entry of the same name, `*` keeps the existing field, entries end up
 * sorted by name. Unlike kustomize we edit the YAML document in place, so other fields, their order and
 * comments are preserved.
 */

import { type Document, isMap, isScalar, isSeq, parseDocument, type YAMLMap, YAMLSeq } from 'yaml';
import { checkYamlBounds } from './bounds.js';
import { invalid, quote } from './errors.js';
import { isValidDigest, isValidTag, nameProblem } from './image-ref.js';

/** One `images:` entry of a kustomization. */
export interface KustomizeImage {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const PRESERVE = '*';
const FIELDS = ['newName', 'newTag', 'digest'] as const;

const USAGE = [
  '<name>=<newName>:<tag>',
  '<name>=<newName>@<digest>',
  '<name>=<newName>:<tag>@<digest>',
  '<name>=<newName>',
  '<name>:<tag>',
  '<name>:<tag>@<digest>',
  '<name>@<digest>',
].join(', ');

/** Parses one `kustomize edit set image` argument; throws an exit-2 error naming the bad part. */
export function parseImageArg(arg: string): KustomizeImage {
  const bad = (why: string) =>
    invalid('IMAGE_ARG_INVALID', `Invalid --image ${quote(arg)}: ${why}.`, `Use one of: ${USAGE}.`, arg);
  const eq = arg.indexOf('=');
  const key = eq >= 0 ? arg.slice(0, eq) : undefined;
  const value = eq >= 0 ? arg.slice(eq + 1) : arg;
  const { name, tag, digest } = splitKustomize(value);
  if (key === undefined && tag === undefined && digest === undefined) {
    throw bad('give a new name (name=newName), a tag (name:tag) or a digest (name@sha256:…)');
  }
  const image: KustomizeImage = { name: key ?? name };
  if (key !== undefined) image.newName = name;
  if (tag !== undefined) image.newTag = tag;
  if (digest !== undefined) image.digest = digest;

  const nameIssue = nameProblem(image.name);
  if (nameIssue) throw bad(`the image name ${quote(image.name)} is invalid: ${nameIssue}`);
  if (image.newName !== undefined && image.newName !== PRESERVE) {
    const issue = nameProblem(image.newName);
    if (issue) throw bad(`the new name ${quote(image.newName)} is invalid: ${issue}`);
  }
  if (image.newTag !== undefined && image.newTag !== PRESERVE && !isValidTag(image.newTag)) {
    throw bad(
      `the tag ${quote(image.newTag)} is invalid: 1 to 128 of letters, digits, "_", "." and "-", not starting with "." or "-"`,
    );
  }
  if (image.digest !== undefined && image.digest !== PRESERVE && !isValidDigest(image.digest)) {
    throw bad(`the digest ${quote(image.digest)} is invalid: use sha256: and 64 lowercase hex characters`);
  }
  return image;
}

/** Splits like kustomize's image.Split: the tag and digest are searched after the first `/`. */
function splitKustomize(value: string): { name: string; tag?: string; digest?: string } {
  const slash = value.indexOf('/');
  const offset = Math.max(slash, 0);
  const search = value.slice(offset);
  const at = search.indexOf('@');
  const colon = search.indexOf(':');
  if (at < 0 && colon < 0) return { name: value };
  if (at >= 0 && (colon < 0 || at < colon)) {
    return { name: value.slice(0, offset + at), digest: value.slice(offset + at + 1) };
  }
  if (at >= 0) {
    return {
      name: value.slice(0, offset + colon),
      tag: value.slice(offset + colon + 1, offset + at),
      digest: value.slice(offset + at + 1),
    };
  }
  return { name: value.slice(0, offset + colon), tag: value.slice(offset + colon + 1) };
}

/** Parses a kustomization file's text; throws an exit-2 error naming `file:line:column` for broken YAML. */
export function parseKustomization(text: string, file: string): Document {
  checkYamlBounds(text, file, 'KUSTOMIZATION_INVALID');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, keepSourceTokens: false });
  const error = doc.errors[0];
  if (error) {
    const [line, col] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : [1, 1];
    const what = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    const tab = error.code === 'TAB_AS_INDENT' || /tab/i.test(what);
    throw invalid(
      'KUSTOMIZATION_INVALID',
      `${file}:${line}:${col}: ${tab ? 'indented with a tab' : 'not valid YAML'}: ${what}.`,
      tab
        ? 'Indent with spaces: YAML, and so kustomize, refuses tabs as indentation.'
        : 'Fix the YAML syntax (kustomize build would fail on it too).',
      file,
      doc.errors.map((e) => e.message),
    );
  }
  sources.set(doc, text);
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw invalid(
      'KUSTOMIZATION_INVALID',
      `${file} is not a YAML mapping.`,
      'A kustomization is a mapping with resources:, images:, …',
      file,
    );
  }
  return doc;
}

/** The text each parsed kustomization came from, to name lines in errors. */
const sources = new WeakMap<Document, string>();

/** `file:line: ` of a node (or `file: ` when the line is unknown). */
function locate(doc: Document, file: string | undefined, node: unknown): string {
  if (!file) return '';
  const text = sources.get(doc);
  const pos = (node as { range?: number[] } | undefined)?.range?.[0];
  if (text === undefined || pos === undefined) return `${file}: `;
  return `${file}:${text.slice(0, pos).split('\n').length}: `;
}

/** Reads the `images:` entries of a kustomization document (`file` names it, and the line, in errors). */
export function readImages(doc: Document, file?: string): KustomizeImage[] {
  const seq = doc.get('images', true);
  if (seq === undefined || seq === null || (isScalar(seq) && seq.value === null)) return [];
  if (!isSeq(seq))
    throw invalid(
      'KUSTOMIZATION_INVALID',
      `${locate(doc, file, seq)}\`images:\` is not a list.`,
      'Make `images:` a list of {name, newName, newTag, digest}.',
      file,
    );
  return seq.items.map((item) => toImage(item, locate(doc, file, item), file, (n) => locate(doc, file, n)));
}

function toImage(
  item: unknown,
  where: string,
  file: string | undefined,
  at: (node: unknown) => string,
): KustomizeImage {
  if (!isMap(item))
    throw invalid(
      'KUSTOMIZATION_INVALID',
      `${where}an \`images:\` entry is not a mapping.`,
      'Each entry needs at least `name:`.',
      file,
    );
  const name = item.get('name');
  if (typeof name !== 'string' || name === '') {
    throw invalid(
      'KUSTOMIZATION_INVALID',
      `${where}an \`images:\` entry has no \`name:\`.`,
      'Each entry needs `name:`, the image name used in the base.',
      file,
    );
  }
  const image: KustomizeImage = { name };
  for (const field of FIELDS) {
    const node = item.get(field, true);
    const v = scalarText(node, `${name}.${field}`, at(node));
    if (v !== undefined && v !== '') image[field] = v;
  }
  return image;
}

/**
 * A field's text. kustomize refuses a plain number or boolean where it wants a string (`newTag: 1.10`
 * is the number 1.1 to YAML), so we refuse it too, saying how to quote it.
 */
function scalarText(node: unknown, where: string, at: string): string | undefined {
  if (typeof node === 'string') return node;
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  if (typeof node.value !== 'string') {
    const written = typeof node.source === 'string' ? node.source : String(node.value);
    throw invalid(
      'KUSTOMIZATION_INVALID',
      `${at}images entry ${quote(where)} is the ${typeof node.value} ${written}, not a string.`,
      `Quote it: ${where.split('.').pop()}: "${written}" (kustomize refuses it unquoted too).`,
      written,
    );
  }
  return node.value;
}

/**
 * Applies `kustomize edit set image` arguments to the document, in place. Returns true when the
 * images changed (false: the overlay already had exactly these images; the document is untouched).
 */
export function setImages(doc: Document, args: KustomizeImage[]): boolean {
  const before = readImages(doc);
  const after = planImages(before, args);
  if (sameImages(before, after)) return false;

  let seq = doc.get('images');
  if (!isSeq(seq)) {
    seq = new YAMLSeq();
    doc.set('images', seq);
  }
  const items = (seq as YAMLSeq).items as YAMLMap[];
  const byName = new Map(items.map((m) => [String(m.get('name')), m]));
  const next: YAMLMap[] = [];
  for (const image of after) {
    const node = byName.get(image.name) ?? (doc.createNode({ name: image.name }) as YAMLMap);
    for (const field of FIELDS) {
      const v = image[field];
      if (v === undefined) node.delete(field);
      else if (node.get(field) !== v) node.set(field, v);
    }
    next.push(node);
  }
  (seq as YAMLSeq).items = next;
  return true;
}

/** The image list kustomize would write: replacements by name, `*` preserved, sorted by name. */
export function planImages(existing: KustomizeImage[], args: KustomizeImage[]): KustomizeImage[] {
  const byName = new Map<string, KustomizeImage>();
  for (const arg of args) byName.set(arg.name, arg);
  const result = new Map<string, KustomizeImage>();
  for (const im of existing) {
    const arg = byName.get(im.name);
    result.set(im.name, arg ? preserve(arg, im) : im);
  }
  for (const arg of args) if (!result.has(arg.name)) result.set(arg.name, preserve(arg, { name: arg.name }));
  return [...result.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function preserve(arg: KustomizeImage, old: KustomizeImage): KustomizeImage {
  const image: KustomizeImage = { name: arg.name };
  for (const field of FIELDS) {
    const v = arg[field] === PRESERVE ? old[field] : arg[field];
    if (v !== undefined && v !== '') image[field] = v;
  }
  return image;
}

/** The same entries, in any order (order alone is no change worth a commit). */
export function sameImages(a: KustomizeImage[], b: KustomizeImage[]): boolean {
  const key = (l: KustomizeImage[]) => JSON.stringify(l.map((i) => [i.name, i.newName, i.newTag, i.digest]).sort());
  return key(a) === key(b);
}

/** The reference an entry resolves to, as DESIGN.md's status shape prints it. */
export function imageReference(image: KustomizeImage): string {
  const name = image.newName ?? image.name;
  return `${name}${image.newTag ? `:${image.newTag}` : ''}${image.digest ? `@${image.digest}` : ''}`;
}

/** The images of an overlay as a `{ name: reference }` map (the seed's `find_current_image`). */
export function imageMap(images: KustomizeImage[]): Record<string, string> {
  return Object.fromEntries(images.map((i) => [i.name, imageReference(i)]));
}
