/**
 * The tree listings history's walk keeps current: a commit's files by blob id, the folders among them,
 * and a tree reader over a listing that reads through the walk's one blob reader.
 */
import { KUSTOMIZATION_FILES } from '../core/kustomization.js';
import { type GitContext, git } from './git.js';
import { type BlobReader, fromListing } from './trees.js';

/** The kustomization file of `dir` in a listing, by kustomize's order of names. */
export function overlayFileIn(files: Map<string, string>, dir: string): string | undefined {
  return KUSTOMIZATION_FILES.map((n) => (dir === '.' || dir === '' ? n : `${dir}/${n}`)).find((f) => files.has(f));
}

/** Every file of `commit`: path → blob id (symlinks left out, as renders from a commit do). */
export async function listing(commit: string, g: GitContext): Promise<Map<string, string>> {
  const r = await git(['ls-tree', '-r', '-z', '--full-tree', commit], g);
  const files = new Map<string, string>();
  for (const entry of r.stdout.split('\0')) {
    const m = /^(\d+) blob ([0-9a-f]+)\t(.+)$/s.exec(entry);
    if (m && m[1] !== '120000') files.set(m[3] as string, m[2] as string);
  }
  return files;
}

/** The folders of a listing, computed once per listing (300 envs resolve in the same one). */
const dirsMemo = new WeakMap<Map<string, string>, Set<string>>();

function dirsOf(files: Map<string, string>): Set<string> {
  const known = dirsMemo.get(files);
  if (known) return known;
  const dirs = new Set<string>(['.']);
  for (const path of files.keys())
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) dirs.add(path.slice(0, i));
  dirsMemo.set(files, dirs);
  return dirs;
}

/** Drops the folders computed for `files` (the walk changed the listing in place). */
export function forgetDirs(files: Map<string, string>): void {
  dirsMemo.delete(files);
}

/** A tree over a listing that shares the walk's blob reader. */
export function fromListingShared(files: Map<string, string>, blobs: BlobReader) {
  const tree = fromListing(files, dirsOf(files), { cwd: '', env: {}, log: undefined as never });
  tree.read = async (p: string) => {
    const id = files.get(p);
    return id === undefined ? undefined : blobs.read(id);
  };
  return tree;
}

/** How many commits the first-parent line of `commit` has (0 when git cannot tell; never rejects). */
export async function firstParentLength(commit: string, g: GitContext): Promise<number> {
  try {
    const r = await git(['rev-list', '--first-parent', '--count', commit], g, { allowFailure: true });
    return Number(r.stdout.trim()) || 0;
  } catch {
    return 0;
  }
}
