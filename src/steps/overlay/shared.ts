/**
 * What a rollback or restore may change: never another env's overlay nested inside this one (env
 * `default` at kustomize/, env `memorystore` at kustomize/tests/memorystore), and files other envs'
 * renders read only with --include-shared (refused, exit 2, naming those envs and files, before any
 * file is touched).
 */
import { envsReading } from '../../adapters/env-images.js';
import { differingFrom, trackedUnder } from '../../adapters/git-tree.js';
import { commitTree, worktree } from '../../adapters/trees.js';
import type { Environment } from '../../core/config.js';
import { sharedRefused } from '../images/check.js';
import type { ReleaseContext } from '../types.js';

const dirOf = (p: string) => p.replace(/\/+$/, '');

/** Overlay directories of other envs inside `paths` (left as they are). */
export function nestedOverlays(env: Environment, all: Environment[], paths: string[]): string[] {
  return all
    .filter((e) => e.name !== env.name)
    .map((e) => dirOf(e.overlay))
    .filter((d) => paths.some((p) => d.startsWith(`${dirOf(p)}/`) || (dirOf(p) === '.' && d !== '.')));
}

/** The files of nested overlays, now and at `target`: a restore keeps them as they are. */
export async function nestedFiles(rc: ReleaseContext, nested: string[], target: string): Promise<string[]> {
  const [now, then] = await Promise.all([
    trackedUnder(undefined, nested, rc.git),
    trackedUnder(target, nested, rc.git),
  ]);
  return [...new Set([...now, ...then])];
}

/**
 * Refuses (exit 2) when restoring `paths` to `target` would change a file another env's render reads —
 * now or at `target` — unless `include`.
 */
export async function refuseShared(
  rc: ReleaseContext,
  env: Environment,
  p: { target: string; paths: string[]; keep: string[]; include?: boolean; verb: string },
): Promise<void> {
  if (p.include || !rc.config) return;
  const files = (await differingFrom(p.target, p.paths, rc.git)).filter((f) => !p.keep.includes(f));
  if (files.length === 0) return;
  const others = [...rc.config.environments.values()].filter((e) => e.name !== env.name);
  const then = await commitTree(p.target, rc.git);
  try {
    const readers = [
      ...(await envsReading(worktree(rc.tree), others, files)),
      ...(await envsReading(then, others, files)),
    ];
    if (readers.length > 0) throw sharedRefused(env.name, readers, p.verb);
  } finally {
    then.close();
  }
}
