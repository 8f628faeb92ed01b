/**
 * What a render may read, checked before kustomize runs: walking the overlay's kustomizations (bases,
 * components, patches, generator files…), every local path must stay inside the tree (the one
 * confinement rule: `../` or a committed link that leads out is PATH_OUTSIDE_REPO), and no remote
 * resource is fetched unless the environment names it (`remoteResources:`), so a render depends on the
 * commit alone and a CI job never fetches a URL an env repo chose.
 */
import { lstatSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { MAX_YAML_BYTES } from '../core/bounds.js';
import { invalid, quote } from '../core/errors.js';
import { KUSTOMIZATION_FILES } from '../core/kustomization.js';
import { type Kustomization, kustomizationPaths } from '../core/kustomize-refs.js';
import { confine, readRepoFile } from './repo.js';

const isDirectory = (p: string) => {
  try {
    return statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    return false;
  }
};

/** Throws exit 2 when the render of `overlay` in `tree` would read outside it or fetch a remote resource. */
export async function checkRenderInputs(tree: string, overlay: string, allowedRemote: string[] = []): Promise<void> {
  const seen = new Set<string>();
  const visit = async (rel: string): Promise<void> => {
    const abs = confine(tree, rel, 'kustomization directory');
    if (seen.has(abs)) return;
    seen.add(abs);
    const name = KUSTOMIZATION_FILES.find((f) => lstatSync(join(abs, f), { throwIfNoEntry: false }));
    if (!name) return;
    const fileRel = join(rel, name);
    const text = await readRepoFile(tree, fileRel, 'kustomization', MAX_YAML_BYTES, 'KUSTOMIZATION_INVALID');
    let k: Kustomization;
    try {
      k = (parse(text ?? '', { maxAliasCount: 100 }) ?? {}) as Kustomization;
    } catch {
      return; // kustomize reports the syntax error itself
    }
    if (k === null || typeof k !== 'object') return;
    const paths = kustomizationPaths(k);
    for (const r of paths.remote) {
      if (allowedRemote.includes(r)) continue;
      throw invalid(
        'REMOTE_RESOURCE_REFUSED',
        `${fileRel} names the remote resource ${quote(r)}; renders read only the env repo's commit.`,
        "Vendor the resource into the env repo, or allow this exact entry in the environment's remoteResources: in gitops-flow.yaml.",
        r,
      );
    }
    for (const p of paths.local) {
      const target = join(rel, p);
      const resolved = confine(tree, target, `${fileRel}: ${p}`);
      if (isDirectory(resolved)) await visit(relative(tree, resolved));
    }
  };
  await visit(overlay);
}
