/**
 * `overlay/restore` (restore): bring the overlay and everything it references back as git had it at a
 * commit or time; the restored tree must render exactly as that commit did.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GitContext, resolveRef, showFile } from '../../adapters/git.js';
import { commitAtOrBefore, exportTree } from '../../adapters/git-history.js';
import { restorePaths } from '../../adapters/git-tree.js';
import { readOverlayImages } from '../../adapters/overlay.js';
import { referencedPaths } from '../../adapters/overlay-references.js';
import type { Environment } from '../../core/config.js';
import { failed, invalid } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { imageMap, KUSTOMIZATION_FILES } from '../../core/kustomization.js';
import { isTime } from '../../core/plans.js';
import { renderEnv } from '../deploy/release.js';
import { edited, envOf, planOf, type Step } from '../types.js';
import { nestedFiles, nestedOverlays, refuseShared } from './shared.js';

/** A commit, or the last commit of the branch at or before an ISO-8601 time. */
async function resolveAt(at: string, g: GitContext): Promise<string> {
  if (!isTime(at)) return resolveRef(at, g);
  const sha = await commitAtOrBefore(new Date(at), g);
  if (!sha)
    throw invalid(
      'NOTHING_AT_TIME',
      `The branch has no commit at or before ${at}.`,
      'Pick a later time; `gitops-flow history` lists every release with its time.',
      at,
    );
  return sha;
}

/** The repo paths the env's overlay referenced at `commit` (read from that commit's tree). */
async function referencesAt(commit: string, env: Environment, g: GitContext): Promise<string[]> {
  const names = await Promise.all(KUSTOMIZATION_FILES.map((f) => showFile(commit, `${env.overlay}/${f}`, g)));
  if (names.every((n) => n === undefined)) {
    throw invalid(
      'ENV_ABSENT_AT',
      `${env.name} had no overlay (${env.overlay}) at ${commit.slice(0, 12)}.`,
      'Pick a later commit or time.',
      commit,
    );
  }
  const tmp = await mkdtemp(join(tmpdir(), 'gitops-flow-refs-'));
  try {
    await exportTree(commit, tmp, g);
    return await referencedPaths(tmp, env.overlay);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The restored tree must render exactly as the commit did; anything else is refused, not recorded. */
async function checkReproduced(tree: string, env: Environment, commit: string, ctx: CommandContext): Promise<void> {
  const [now, then] = await Promise.all([
    renderEnv({ root: tree, env }, ctx),
    renderEnv({ root: tree, env, ref: commit }, ctx),
  ]);
  if (now !== then) {
    throw failed(
      'RESTORE_NOT_REPRODUCIBLE',
      `Restoring ${env.name} as of ${commit.slice(0, 12)} does not render as that commit did.`,
      'The overlay depends on something a restore cannot bring back (a remote base, or a symlink to a folder it does not reference). Render both with `gitops-flow diff` and restore by hand.',
    );
  }
}

export const overlayRestore: Step = {
  name: 'overlay/restore',
  summary: 'bring the overlay and what it references back as git had it (restore)',
  inputs: {},
  outputs: {},
  edits: true,
  async run(rc) {
    const env = envOf(rc);
    rc.change.target ||= await resolveAt(planOf(rc, 'restore').at, rc.git);
    const target = rc.change.target;
    rc.change.referenced = await referencesAt(target, env, rc.git);
    const nested = nestedOverlays(env, [...(rc.config?.environments.values() ?? [])], rc.change.referenced);
    const keep = await nestedFiles(rc, nested, target);
    await refuseShared(rc, env, {
      target,
      paths: rc.change.referenced,
      keep,
      include: planOf(rc, 'restore').includeShared || env.includeShared,
      verb: 'restore',
    });
    const changed = await restorePaths(target, rc.change.referenced, rc.git, keep);
    rc.change.images = imageMap(await readOverlayImages(rc.tree, env));
    await checkReproduced(rc.tree, env, target, rc.cmd);
    rc.change.record = { action: 'restore', env: env.name, images: rc.change.images, restoredFrom: target };
    return edited(rc, changed);
  },
};
