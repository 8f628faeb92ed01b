/**
 * What an overlay references inside the repo — its own directory, the bases and components it builds
 * on, patch and generator files — so that a restore can put all of it back as it was.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { MAX_YAML_BYTES } from '../core/bounds.js';
import { KUSTOMIZATION_FILES } from '../core/kustomization.js';
import { type Kustomization, kustomizationPaths } from '../core/kustomize-refs.js';
import { confine, readRepoFile } from './repo.js';

/** Repo-relative paths (directories and files) the overlay at `overlay` needs, in `tree`. */
export async function referencedPaths(tree: string, overlay: string): Promise<string[]> {
  const found = new Set<string>();
  const visit = async (dir: string) => {
    const rel = relative(tree, dir);
    if (rel.startsWith('..') || found.has(rel)) return;
    found.add(rel);
    const file = KUSTOMIZATION_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
    if (!file) return;
    const text = await readRepoFile(
      tree,
      relative(tree, file),
      'kustomization',
      MAX_YAML_BYTES,
      'KUSTOMIZATION_INVALID',
    );
    const k = (parse(text ?? '') ?? {}) as Kustomization;
    for (const p of kustomizationPaths(k).local) {
      // The one rule: a reference that leads out of the tree is refused, not read.
      const abs = confine(tree, relative(tree, resolve(dir, p)), `${relative(tree, file)}: ${p}`);
      const r = relative(tree, abs);
      if (!existsSync(abs)) continue;
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
