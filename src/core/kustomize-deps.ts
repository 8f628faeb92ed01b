/**
 * What a render reads: from an overlay, every kustomization it builds on (resources, bases, components)
 * and every file they name (manifests, patches, generator inputs, replacement sources, helm charts and
 * values, openapi schemas). Pure: the tree is read through `TreeReader` (a working tree, or a commit's
 * blobs), so the same walk serves status (the working tree), history (any commit) and restore.
 */
import { posix } from 'node:path';
import type { Document } from 'yaml';
import { KUSTOMIZATION_FILES, parseKustomization } from './kustomization.js';
import { withoutFields } from './overlay-text.js';

export interface TreeReader {
  /** 'file', 'dir' or undefined for a repo-relative path. */
  kind(path: string): Promise<'file' | 'dir' | undefined>;
  /** A file's text, undefined when there is none. */
  read(path: string): Promise<string | undefined>;
  /** Every file under a directory, recursively (repo-relative paths). */
  list(dir: string): Promise<string[]>;
}

export type Role = 'overlay' | 'resource' | 'component';

export interface KustomizationNode {
  dir: string;
  /** Repo-relative path of the kustomization file. */
  file: string;
  role: Role;
  text: string;
  /** The parsed text (without its `images:` block when walked with `pathsOnly`). */
  doc: Document;
}

export interface Dependencies {
  kustomizations: KustomizationNode[];
  /** Every file the render reads, kustomization files included (repo-relative, sorted). */
  files: string[];
  /** Remote references (URLs, git repos): not followed. */
  remote: string[];
  /** Paths that leave the repository. */
  outside: string[];
  /** Local paths named but absent. */
  missing: string[];
  /** Fields whose effect on images we do not model (render instead of computing). */
  unmodelled: string[];
}

const isRemote = (p: string) => /^[a-z][a-z0-9+.-]*:\/\/|^git@|^github\.com\//i.test(p);
const UNMODELLED = ['replacements', 'transformers', 'configurations', 'vars', 'openapi'];

/** The kustomization file in `dir`, with the name kustomize accepts first. */
export async function findKustomization(tree: TreeReader, dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    const file = dir === '.' || dir === '' ? name : `${dir}/${name}`;
    if ((await tree.kind(file)) === 'file') return file;
  }
  return undefined;
}

/**
 * Walks the kustomizations from `overlay` (a repo-relative directory). `parsed` memoizes parses by
 * file and text across walks (history walks the same base for hundreds of envs). `pathsOnly`: the
 * caller reads images itself (history scans them line by line), so a plain `images:` block is left
 * out of the parse, as nonEnvironmentFolders does: a 300-entry list cost 50 ms per overlay.
 */
export async function dependencies(
  tree: TreeReader,
  overlay: string,
  parsed: Map<string, Document> = new Map(),
  o: { pathsOnly?: boolean } = {},
): Promise<Dependencies> {
  const out: Dependencies = { kustomizations: [], files: [], remote: [], outside: [], missing: [], unmodelled: [] };
  const files = new Set<string>();
  const seen = new Set<string>();
  const visit = async (dir: string, role: Role): Promise<void> => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const file = await findKustomization(tree, dir);
    if (!file) {
      out.missing.push(dir);
      return;
    }
    const text = (await tree.read(file)) ?? '';
    const memo = `${o.pathsOnly ? 'paths' : 'all'}\0${file}\0${text}`;
    const doc = parsed.get(memo) ?? parseKustomization(o.pathsOnly ? withoutFields(text, ['images']) : text, file);
    parsed.set(memo, doc);
    files.add(file);
    out.kustomizations.push({ dir, file, role, text, doc });
    const k = (doc.toJS({ maxAliasCount: 100 }) ?? {}) as Record<string, unknown>;
    for (const f of UNMODELLED) if (k[f] !== undefined && !out.unmodelled.includes(f)) out.unmodelled.push(f);
    for (const { path, as } of localPaths(k)) {
      if (isRemote(path)) {
        out.remote.push(path);
        continue;
      }
      const target = posix.normalize(posix.join(dir, path)).replace(/\/+$/, '') || '.';
      if (target === '..' || target.startsWith('../') || posix.isAbsolute(path)) {
        out.outside.push(target);
        continue;
      }
      const kind = await tree.kind(target);
      if (kind === 'dir') {
        if (as === 'tree') for (const f of await tree.list(target)) files.add(f);
        else await visit(target, as === 'component' ? 'component' : 'resource');
      } else if (kind === 'file') files.add(target);
      else if (as !== 'tree') out.missing.push(target);
    }
  };
  await visit(posix.normalize(overlay).replace(/\/+$/, '') || '.', 'overlay');
  out.files = [...files].sort();
  return out;
}

type Ref = { path: string; as: 'file' | 'component' | 'tree' };

/** Every local path a kustomization names, with how kustomize reads it. */
function localPaths(k: Record<string, unknown>): Ref[] {
  const out: Ref[] = [];
  const str = (v: unknown, as: Ref['as'] = 'file') => {
    if (typeof v === 'string' && v !== '' && !v.includes('\n')) out.push({ path: v, as });
  };
  const list = (v: unknown, as: Ref['as'] = 'file') => {
    if (Array.isArray(v)) for (const x of v) str(x, as);
  };
  list(k.resources);
  list(k.bases);
  list(k.components, 'component');
  list(k.crds);
  list(k.patchesStrategicMerge);
  list(k.configurations);
  list(k.generators);
  list(k.transformers);
  list(k.validators);
  for (const key of ['patches', 'patchesJson6902', 'replacements']) {
    if (Array.isArray(k[key])) for (const p of k[key] as { path?: unknown }[]) str(p?.path);
  }
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    if (!Array.isArray(k[key])) continue;
    for (const g of k[key] as { files?: unknown[]; envs?: unknown[]; env?: unknown }[]) {
      for (const f of g?.files ?? []) str(typeof f === 'string' ? f.split('=').pop() : f);
      list(g?.envs);
      str(g?.env);
    }
  }
  if (k.openapi && typeof k.openapi === 'object') str((k.openapi as { path?: unknown }).path);
  if (Array.isArray(k.helmCharts) && k.helmCharts.length > 0) {
    const globals = (k.helmGlobals ?? {}) as { chartHome?: unknown; configHome?: unknown };
    str(typeof globals.chartHome === 'string' ? globals.chartHome : 'charts', 'tree');
    for (const c of k.helmCharts as { valuesFile?: unknown; additionalValuesFiles?: unknown[] }[]) {
      str(c?.valuesFile);
      list(c?.additionalValuesFiles);
    }
  }
  return out;
}

/**
 * Folders of the overlays directory that are not environments: those without a kustomization, and
 * those another folder builds on (a `base` beside the overlays). Broken files are left to the env's
 * own render to report.
 */
export function nonEnvironmentFolders(
  folders: { name: string; text: string | undefined }[],
): { folder: string; reason: string }[] {
  const out: { folder: string; reason: string }[] = [];
  const usedBy = new Map<string, string>();
  for (const { name, text } of folders) {
    if (text === undefined) continue;
    let k: Record<string, unknown>;
    try {
      // Only the paths it names matter here: a long images: list need not be parsed (config loads on every command).
      k = (parseKustomization(withoutFields(text, ['images']), name).toJS() ?? {}) as Record<string, unknown>;
    } catch {
      continue;
    }
    for (const ref of localPaths(k)) {
      const target = posix.normalize(posix.join(name, ref.path)).replace(/\/+$/, '');
      if (target !== name && folders.some((f) => f.name === target) && !usedBy.has(target)) usedBy.set(target, name);
    }
  }
  for (const { name, text } of folders) {
    if (text === undefined) out.push({ folder: name, reason: 'no kustomization file' });
    else if (usedBy.has(name)) out.push({ folder: name, reason: `a base: ${usedBy.get(name)} builds on it` });
  }
  return out;
}
