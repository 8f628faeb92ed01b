/**
 * Files shipped in the gitops-flow package (package.json, ci/tools.json), found from wherever this code
 * runs: the TypeScript sources, the tsc output or the bundle, at whatever depth.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The directory of gitops-flow's own package.json. */
export function packageRoot(): string {
  if (root) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'gitops-flow') {
      root = dir;
      return dir;
    }
    if (dirname(dir) === dir) throw new Error('gitops-flow: cannot find its own package.json');
  }
}

/** A file of the package, e.g. `ci/tools.json`. */
export function packageFile(rel: string): string {
  return join(packageRoot(), rel);
}
