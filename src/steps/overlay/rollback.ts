/**
 * `overlay/rollback` (rollback): bring the env's overlay back to its previous release (or --to) and
 * pin the env, so automated updates do not undo it until someone unpins.
 */
import { type GitContext, resolveRef, revParse } from '../../adapters/git.js';
import { lastCommitTouching } from '../../adapters/git-history.js';
import { restorePaths } from '../../adapters/git-tree.js';
import { readOverlayImages } from '../../adapters/overlay.js';
import { PIN_FILE, writePin } from '../../adapters/pin-file.js';
import { invalid } from '../../core/errors.js';
import { imageMap } from '../../core/kustomization.js';
import { edited, envOf, planOf, type Step } from '../types.js';
import { nestedFiles, nestedOverlays, refuseShared } from './shared.js';

/**
 * The state before the env's latest release: the parent of the last commit that changed its overlay
 * (other envs' overlays nested inside it excluded).
 */
async function previousRelease(overlay: string, nested: string[], g: GitContext): Promise<string> {
  const last = await lastCommitTouching('HEAD', overlay, g, nested);
  const parent = last ? await revParse(`${last}^`, g) : undefined;
  if (!parent) {
    throw invalid(
      'NO_PREVIOUS_RELEASE',
      `The overlay ${overlay} has no earlier release to roll back to.`,
      'Pass --to <commit> to choose the state to bring back.',
      overlay,
    );
  }
  return parent;
}

export const overlayRollback: Step = {
  name: 'overlay/rollback',
  summary: 'bring the overlay back to an earlier release and pin the env (rollback)',
  inputs: {},
  outputs: {},
  edits: true,
  async run(rc) {
    const p = planOf(rc, 'rollback');
    const env = envOf(rc);
    const nested = nestedOverlays(env, [...(rc.config?.environments.values() ?? [])], [env.overlay]);
    rc.change.target ||= p.to ? await resolveRef(p.to, rc.git) : await previousRelease(env.overlay, nested, rc.git);
    const target = rc.change.target;
    const pin = `${env.overlay.replace(/\/$/, '')}/${PIN_FILE}`;
    const keep = [pin, ...(await nestedFiles(rc, nested, target))];
    await refuseShared(rc, env, {
      target,
      paths: [env.overlay],
      keep,
      include: p.includeShared || env.includeShared,
      verb: 'rollback',
    });
    const changed = await restorePaths(target, [env.overlay], rc.git, keep);
    rc.change.images = imageMap(await readOverlayImages(rc.tree, env));
    rc.change.record = { action: 'rollback', env: env.name, images: rc.change.images, restoredFrom: target };
    if (changed.length === 0) return edited(rc, []);
    await writePin(rc.tree, env, {
      reason: p.reason ?? `rollback to ${target.slice(0, 12)}`,
      pinnedAt: new Date().toISOString(),
      commit: target,
    });
    return edited(rc, [env.overlay]);
  },
};
