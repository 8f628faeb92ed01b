/**
 * The images an env really runs, from its render: each keyed by the name `--image` takes to change it
 * (the overlay's `images:` entry that sets it, else the image's own name), with the workloads running
 * it and where it is set — the overlay's `images:`, a component's or a base's `images:`, a patch, a
 * replacement, a helm chart, or the resource itself.
 */
import { type ContainerImage, EntryIndex, splitImage } from './image-transform.js';
import { type KustomizeImage, readImages } from './kustomization.js';
import type { Dependencies, KustomizationNode, TreeReader } from './kustomize-deps.js';
import { lineOf } from './yaml-text.js';

export type SourceKind = 'images' | 'component' | 'base-images' | 'patch' | 'replacement' | 'helm' | 'resource';

export interface ImageSource {
  kind: SourceKind;
  file: string;
  line?: number;
}

export interface RenderedImage {
  /** What `--image <name>=…` must name to change it in this env. */
  name: string;
  reference: string;
  /** `Kind/name container` of every container running it. */
  workloads: string[];
  source?: ImageSource;
}

const where = (c: ContainerImage) => `${c.kind}/${c.name} ${c.container}`;

/** The model: the overlay's `images:` applied to the containers of its render without them. */
export function fromPreRender(pre: ContainerImage[], entries: KustomizeImage[]): RenderedImage[] {
  const index = new EntryIndex(entries);
  return group(
    pre.map((c) => {
      const { image, matched } = index.apply(c.image);
      return { key: matched ?? splitImage(c.image).name, image, c };
    }),
  );
}

/** From a full render: an image that an overlay entry produces is keyed by that entry's name. */
export function fromRender(containers: ContainerImage[], entries: KustomizeImage[]): RenderedImage[] {
  return group(
    containers.map((c) => {
      const { name, tag, digest } = splitImage(c.image);
      const entry = entries.find(
        (e) =>
          (e.newName ?? e.name) === name &&
          (e.newTag === undefined || e.newTag === tag) &&
          (e.digest === undefined || e.digest === digest),
      );
      return { key: entry ? entry.name : name, image: c.image, c };
    }),
  );
}

function group(rows: { key: string; image: string; c: ContainerImage }[]): RenderedImage[] {
  const out = new Map<string, RenderedImage>();
  for (const { key, image, c } of rows) {
    // Two different references under one name (e.g. two bases pin two tags): keep both apart.
    const id = out.has(key) && out.get(key)?.reference !== image ? `${key} (${where(c)})` : key;
    const entry = out.get(id) ?? { name: key, reference: image, workloads: [] };
    entry.workloads.push(where(c));
    out.set(id, entry);
  }
  return [...out.values()];
}

/** `{ name: reference }`, the status and history shape. */
export function imageReferences(images: RenderedImage[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of images) if (!(i.name in out)) out[i.name] = i.reference;
  return out;
}

/** Fills in where each image is set, looking through the kustomizations and files the render reads. */
export async function attachSources(
  images: RenderedImage[],
  deps: Dependencies,
  tree: TreeReader,
): Promise<RenderedImage[]> {
  const overlay = deps.kustomizations.find((k) => k.role === 'overlay');
  let index: Awaited<ReturnType<typeof imageIndex>> | undefined;
  for (const image of images) {
    const name = splitImage(image.reference).name;
    image.source =
      (overlay && entryIn(overlay, image.name, 'images', image.reference)) ??
      firstOf(deps.kustomizations, (k) => (k.role === 'component' ? entryIn(k, image.name, 'component') : undefined)) ??
      firstOf(deps.kustomizations, (k) =>
        k.role === 'resource' ? (entryIn(k, image.name, 'base-images') ?? entryIn(k, name, 'base-images')) : undefined,
      ) ??
      firstOf(deps.kustomizations, (k) => replacementIn(k));
    if (image.source) continue;
    index ??= await imageIndex(deps, (f) => tree.read(f));
    image.source = (index.exact.get(image.reference) ?? index.byName.get(name))?.source;
  }
  return images;
}

function firstOf<T>(list: KustomizationNode[], f: (k: KustomizationNode) => T | undefined): T | undefined {
  for (const k of list) {
    const found = f(k);
    if (found !== undefined) return found;
  }
  return undefined;
}

const entriesOf = new WeakMap<KustomizationNode, KustomizeImage[]>();

/** The `images:` entry of `k` named `name` (or renaming to it), with its line. */
function entryIn(k: KustomizationNode, name: string, kind: SourceKind, runs?: string): ImageSource | undefined {
  let entries = entriesOf.get(k);
  if (!entries) {
    try {
      entries = readImages(k.doc, k.file);
    } catch {
      entries = [];
    }
    entriesOf.set(k, entries);
  }
  const i = entries.findIndex((e) => e.name === name || e.newName === name);
  if (i < 0) return undefined;
  // An entry the render does not run as written (a replacement acts after it) is not where it is set.
  if (runs !== undefined) {
    const e = entries[i] as KustomizeImage;
    const { name: n, tag, digest } = splitImage(runs);
    if ((e.newName && e.newName !== n) || (e.newTag && e.newTag !== tag) || (e.digest && e.digest !== digest))
      return undefined;
  }
  const node = (k.doc.get('images', true) as { items?: { range?: number[] }[] } | undefined)?.items?.[i];
  const line = node?.range ? lineOf(k.text, node.range[0] as number) : undefined;
  return { kind, file: k.file, ...(line && { line }) };
}

/** A replacement that writes an `image` field (it runs after `images:`, so it wins). */
function replacementIn(k: KustomizationNode): ImageSource | undefined {
  const at = k.text.search(/^replacements\s*:/m);
  if (at < 0 || !/fieldPaths?:[^\n]*image|-\s*[^\n]*\.image\b/.test(k.text.slice(at))) return undefined;
  return { kind: 'replacement', file: k.file, line: lineOf(k.text, at) };
}

const IMAGE_LINE = /^\s*(?:-\s+)?(?:image|value):\s*["']?([^\s"'#]+)/;

interface Found {
  source: ImageSource;
}

/**
 * Every `image:` (or JSON patch `value:`) written in the files the render reads, indexed by exact
 * reference and by image name; the first wins, in order: inline patches, patch files, resources.
 */
async function imageIndex(
  deps: Dependencies,
  text: (f: string) => Promise<string | undefined>,
): Promise<{ exact: Map<string, Found>; byName: Map<string, Found> }> {
  const exact = new Map<string, Found>();
  const byName = new Map<string, Found>();
  const add = (body: string, kind: SourceKind, file: string, from = 0) => {
    const lines = body.slice(from).split('\n');
    const offset = from ? body.slice(0, from).split('\n').length - 1 : 0;
    for (let i = 0; i < lines.length; i++) {
      const m = IMAGE_LINE.exec(lines[i] as string);
      if (!m) continue;
      const found = { source: { kind, file, line: offset + i + 1 } };
      const value = m[1] as string;
      if (!exact.has(value)) exact.set(value, found);
      const name = splitImage(value).name;
      if (!byName.has(name)) byName.set(name, found);
    }
  };
  const kustomizationFiles = new Set(deps.kustomizations.map((k) => k.file));
  const patchFiles = new Set<string>();
  for (const k of deps.kustomizations) {
    const js = (k.doc.toJS() ?? {}) as { patches?: { path?: string }[]; patchesStrategicMerge?: string[] };
    for (const p of js.patches ?? []) if (typeof p?.path === 'string') patchFiles.add(joinTo(k.dir, p.path));
    for (const p of js.patchesStrategicMerge ?? []) if (!p.includes('\n')) patchFiles.add(joinTo(k.dir, p));
    // Inline patches live in the kustomization itself.
    const at = k.text.search(/^\s*(patch|patches|patchesStrategicMerge)\s*:/m);
    if (at >= 0) add(k.text, 'patch', k.file, at);
  }
  for (const f of patchFiles) add((await text(f)) ?? '', 'patch', f);
  for (const f of deps.files) {
    if (kustomizationFiles.has(f) || patchFiles.has(f) || !/\.(ya?ml|json)$/.test(f)) continue;
    add((await text(f)) ?? '', /(^|\/)charts\//.test(f) ? 'helm' : 'resource', f);
  }
  return { exact, byName };
}

function joinTo(dir: string, p: string): string {
  const parts: string[] = [];
  for (const s of `${dir}/${p}`.split('/')) {
    if (s === '..') parts.pop();
    else if (s !== '.' && s !== '') parts.push(s);
  }
  return parts.join('/');
}
