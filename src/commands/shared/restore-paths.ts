/** Puts paths of the working tree back to their content at a commit: files then, and only those. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type GitContext, git } from '../../adapters/git.js';

/**
 * Makes every path in `paths` (files or directories) equal to `commit`, except `keep` (repo-relative
 * files left as they are). Returns the paths to commit, or [] when nothing changed.
 */
export async function restorePaths(
  commit: string,
  paths: string[],
  g: GitContext,
  keep: string[] = [],
): Promise<string[]> {
  if (paths.length === 0) return [];
  const then = new Set(
    (await git(['ls-tree', '-r', '--name-only', commit, '--', ...paths], g)).stdout.split('\n').filter(Boolean),
  );
  const now = (await git(['ls-files', '--', ...paths], g)).stdout.split('\n').filter(Boolean);
  for (const f of now) if (!then.has(f) && !keep.includes(f)) await rm(join(g.cwd, f), { force: true });
  const wanted = [...then].filter((f) => !keep.includes(f));
  if (wanted.length > 0) await git(['checkout', '--quiet', commit, '--', ...wanted], { ...g, dryRun: false });
  const changed = (await git(['status', '--porcelain', '--', ...paths], g)).stdout.trim();
  return changed ? paths : [];
}
