/**
 * What an overlay references inside the repo — its own directory, the bases and components it builds
 * on, patch and generator files — so that a restore can put all of it back as it was.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { KUSTOMIZATION_FILES } from '../core/kustomization.js';

type Kustomization = Record<string, unknown>;

const isRemote = (p: string) => /^[a-z][a-z0-9+.-]*:\/\/|^git@|^github\.com\//i.test(p);

/** Repo-relative paths (directories and files) the overlay at `overlay` needs, in `tree`. */
export async function referencedPaths(tree: string, overlay: string): Promise<string[]> {
  const found = new Set<string>();
  const visit = async (dir: string) => {
    const rel = relative(tree, dir);
    if (rel.startsWith('..') || found.has(rel)) return;
    found.add(rel);
    const file = KUSTOMIZATION_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
    if (!file) return;
    const k = (parse(await readFile(file, 'utf8')) ?? {}) as Kustomization;
    for (const p of localPaths(k)) {
      const abs = resolve(dir, p);
      const r = relative(tree, abs);
      if (r.startsWith('..') || !existsSync(abs)) continue;
      if (statSync(abs).isDirectory()) await visit(abs);
      else if (!isInside(found, r)) found.add(r);
    }
  };
  await visit(resolve(tree, overlay));
  return [...found].filter((p) => !isInside(found, p, true)).sort();
}

/** Is `p` inside one of the directories of `set` (other than itself when `strict`)? */
function isInside(set: Set<string>, p: string, strict = false): boolean {
  for (let d = dirname(p); d !== '.' && d !== '' && d !== '/'; d = dirname(d)) if (set.has(d)) return true;
  return !strict && set.has(p);
}

/** Every local path a kustomization names. */
function localPaths(k: Kustomization): string[] {
  const out: string[] = [];
  const str = (v: unknown) => {
    if (typeof v === 'string' && !isRemote(v) && !v.includes('\n')) out.push(v);
  };
  const list = (v: unknown) => Array.isArray(v) && v.forEach(str);
  list(k.resources);
  list(k.bases);
  list(k.components);
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
  return out;
}
