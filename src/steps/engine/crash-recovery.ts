/**
 * After a run that died (its lock was taken over), what it half-made in the env's overlay — an edit
 * written but not committed, a change staged by `git add`, a temp file of an atomic write — is
 * discarded, so the same command run again converges instead of refusing a dirty working copy.
 * Only the overlay of the env being released is touched, and every path discarded is logged.
 */
import { relative } from 'node:path';
import type { GitContext } from '../../adapters/git.js';
import { changesUnder, discardChangesUnder } from '../../adapters/git-tree.js';
import { confine } from '../../adapters/repo.js';
import type { Environment } from '../../core/config.js';

export async function discardHalfMadeChange(
  p: { root: string; env: Environment; from: string },
  g: GitContext,
): Promise<string[]> {
  const overlay = relative(p.root, confine(p.root, p.env.overlay, `overlay of ${p.env.name}`)) || '.';
  const left = await changesUnder(overlay, g);
  if (left.length === 0) return [];
  g.log.info(`Discarding what the run that died (${p.from}) left half-made in ${overlay}:`);
  for (const l of left) g.log.info(`  ${l}`);
  await discardChangesUnder(overlay, g);
  return left;
}
