/**
 * kustomize's image transformer, modelled: which container images an `images:` entry matches and what
 * it makes of them, and where a manifest's container images are. Written after kustomize v5's
 * api/filters/imagetag (the legacy filter walks every `containers` and `initContainers` list of every
 * object but CRDs; the updater splits name, tag and digest). A differential test holds the model to the
 * pinned kustomize build; callers that cannot trust it (replacements, custom transformers) render instead.
 */
import type { KustomizeImage } from './kustomization.js';

/** A container of a rendered object and its image. */
export interface ContainerImage {
  kind: string;
  name: string;
  namespace?: string;
  container: string;
  image: string;
}

/** Splits an image like kustomize's image.Split: the tag is searched after the first `/`. */
export function splitImage(value: string): { name: string; tag?: string; digest?: string } {
  const at = value.indexOf('@');
  const nameAndTag = at >= 0 ? value.slice(0, at) : value;
  const digest = at >= 0 ? value.slice(at + 1) : undefined;
  const slash = nameAndTag.indexOf('/');
  const colon = nameAndTag.indexOf(':', Math.max(slash, 0));
  const name = colon >= 0 ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = colon >= 0 ? nameAndTag.slice(colon + 1) : undefined;
  return { name, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

const matchers = new Map<string, RegExp>();

/**
 * Does the entry name `t` match the image `s`? kustomize builds the regular expression from the name
 * unescaped, so a `.` in it matches any character; we do the same (only `.` is special in image names).
 */
export function isImageMatched(s: string, t: string): boolean {
  let re = matchers.get(t);
  if (!re) {
    const name = t.replace(/[\\^$*+?()[\]{}|]/g, '\\$&');
    re = new RegExp(`^${name}(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$`);
    matchers.set(t, re);
  }
  return re.test(s);
}

/** What one `images:` entry makes of an image (unchanged when it does not match). */
export function applyEntry(image: string, entry: KustomizeImage): string {
  if (!isImageMatched(image, entry.name)) return image;
  let { name, tag, digest } = splitImage(image);
  if (entry.newName) name = entry.newName;
  if (entry.newTag && entry.digest) [tag, digest] = [entry.newTag, entry.digest];
  else if (entry.newTag) [tag, digest] = [entry.newTag, undefined];
  else if (entry.digest) [tag, digest] = [undefined, entry.digest];
  return `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}

/** A kustomization's `images:` applied in order (kustomize runs one transformer per entry). */
export function applyImages(image: string, entries: KustomizeImage[]): string {
  let out = image;
  for (const e of entries) out = applyEntry(out, e);
  return out;
}

/** Every container image of the objects, where kustomize's image transformer looks for them. */
export function containerImages(objects: Record<string, unknown>[]): ContainerImage[] {
  const out: ContainerImage[] = [];
  for (const o of objects) {
    const kind = String(o.kind ?? '');
    if (kind === 'CustomResourceDefinition') continue;
    const meta = (o.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    const ref = {
      kind,
      name: String(meta.name ?? ''),
      ...(typeof meta.namespace === 'string' && { namespace: meta.namespace }),
    };
    walk(o, (list) => {
      for (const c of list) {
        if (c && typeof c === 'object' && typeof (c as { image?: unknown }).image === 'string') {
          const { name, image } = c as { name?: unknown; image: string };
          out.push({ ...ref, container: String(name ?? ''), image });
        }
      }
    });
  }
  return out;
}

function walk(node: unknown, found: (list: unknown[]) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, found);
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    walk(value, found);
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) found(value);
  }
}

/**
 * A kustomization's `images:` prepared for many containers: entries by exact name, plus those whose
 * name holds a `.` (kustomize's unescaped pattern lets it match any character there). `apply` gives
 * the same result as `applyImages`, and the name of the first entry that matched (the name `--image`
 * takes for it), in time proportional to the entries that can match, not to all of them.
 */
export class EntryIndex {
  private readonly exact = new Map<string, number[]>();
  private readonly dotted: number[] = [];

  constructor(readonly entries: KustomizeImage[]) {
    entries.forEach((e, i) => {
      if (e.name.includes('.')) this.dotted.push(i);
      else this.exact.set(e.name, [...(this.exact.get(e.name) ?? []), i]);
    });
  }

  apply(image: string): { image: string; matched?: string } {
    let out = image;
    let matched: string | undefined;
    let after = -1;
    for (;;) {
      const name = splitImage(out).name;
      let next = Number.POSITIVE_INFINITY;
      for (const i of this.exact.get(name) ?? []) if (i > after && i < next && isImageMatched(out, name)) next = i;
      for (const i of this.dotted)
        if (i > after && i < next && isImageMatched(out, (this.entries[i] as KustomizeImage).name)) next = i;
      if (next === Number.POSITIVE_INFINITY) return { image: out, ...(matched !== undefined && { matched }) };
      const entry = this.entries[next] as KustomizeImage;
      matched ??= entry.name;
      out = applyEntry(out, entry);
      after = next;
    }
  }
}
