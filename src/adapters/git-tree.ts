/**
 * The working tree and its index: what is uncommitted, scratch worktrees, undoing a change, bringing
 * paths back as a commit had them, and `git init`.
 */
import { rm } from 'node:fs/promises';
import { type GitContext, git } from './git.js';
import { confine } from './repo.js';

/** `git status --porcelain` lines of tracked files changed outside .gitops-flow/ (the tool's own outputs). */
export async function uncommittedChanges(g: GitContext): Promise<string[]> {
  const r = await git(['status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude).gitops-flow'], g);
  return r.stdout.trim() ? r.stdout.trim().split('\n') : [];
}

/** `git status --porcelain` lines under `path`, untracked files included. */
export async function changesUnder(path: string, g: GitContext): Promise<string[]> {
  return (await git(['status', '--porcelain', '--untracked-files=all', '--', path], g)).stdout
    .split('\n')
    .filter(Boolean);
}

/** Puts `path` back as HEAD has it: unstaged, restored, untracked files removed. */
export async function discardChangesUnder(path: string, g: GitContext): Promise<void> {
  await git(['reset', '--quiet', '--', path], g, { mutates: true });
  await git(['checkout', '--quiet', 'HEAD', '--', path], g, { mutates: true, allowFailure: true });
  await git(['clean', '--quiet', '--force', '--', path], g, { mutates: true });
}

/** Moves the branch back to `commit`, keeping uncommitted changes (best effort). */
export async function resetKeep(commit: string, g: GitContext): Promise<void> {
  await git(['reset', '--quiet', '--keep', commit], g, { allowFailure: true });
}

/** Adds a detached worktree at `dir` checked out at `ref` (even in dry-run: it is the dry run's scratch). */
export async function addWorktree(dir: string, ref: string, g: GitContext): Promise<void> {
  await git(['worktree', 'add', '--quiet', '--detach', dir, ref], { ...g, dryRun: false });
}

/** Removes the worktree at `dir` (best effort). */
export async function removeWorktree(dir: string, g: GitContext): Promise<void> {
  await git(['worktree', 'remove', '--force', dir], { ...g, dryRun: false }, { allowFailure: true });
}

/** Is the context's directory inside a git working tree? */
export async function isInsideWorkTree(g: GitContext): Promise<boolean> {
  return (await git(['rev-parse', '--is-inside-work-tree'], g, { allowFailure: true })).exitCode === 0;
}

/** `git init` with `main` as the first branch. */
export async function initRepo(g: GitContext): Promise<void> {
  await git(['init', '--quiet'], g, { mutates: true });
  await git(['symbolic-ref', 'HEAD', 'refs/heads/main'], g, { mutates: true });
}

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
  for (const f of now)
    if (!then.has(f) && !keep.includes(f)) await rm(confine(g.cwd, f, 'restore path'), { force: true });
  const wanted = [...then].filter((f) => !keep.includes(f));
  if (wanted.length > 0) await git(['checkout', '--quiet', commit, '--', ...wanted], { ...g, dryRun: false });
  const changed = (await git(['status', '--porcelain', '--', ...paths], g)).stdout.trim();
  return changed ? paths : [];
}

/** Tracked files under `paths`: in the index (rev undefined) or in commit `rev`. */
export async function trackedUnder(rev: string | undefined, paths: string[], g: GitContext): Promise<string[]> {
  if (paths.length === 0) return [];
  const r = rev
    ? await git(['ls-tree', '-r', '--name-only', '--full-tree', rev, '--', ...paths], g)
    : await git(['ls-files', '--', ...paths], g);
  return r.stdout.split('\n').filter(Boolean);
}

/** Files under `paths` whose working-tree content differs from commit `rev` (what restoring them changes). */
export async function differingFrom(rev: string, paths: string[], g: GitContext): Promise<string[]> {
  if (paths.length === 0) return [];
  const r = await git(['diff', '--name-only', '--no-renames', rev, '--', ...paths], g);
  return r.stdout.split('\n').filter(Boolean);
}
