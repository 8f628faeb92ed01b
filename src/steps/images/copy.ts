/**
 * `images/copy` (promote): set the source env's images in the target overlay — its last *verified*
 * ones when the target requires it (old enough for `minSoak`), else the source overlay at the tip.
 */
import { gitContext, revParse } from '../../adapters/git.js';
import { fetchVerified, readVerified } from '../../adapters/git-notes.js';
import { overlayFile, readOverlayImages, setOverlayImages } from '../../adapters/overlay.js';
import { refuseIfPinned, removePin } from '../../adapters/pin-file.js';
import { requireDigestEntries } from '../../adapters/registry/digests.js';
import type { Environment } from '../../core/config.js';
import { invalid } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { imageMap, type KustomizeImage } from '../../core/kustomization.js';
import { type PromoteSource, selectImages } from '../../core/plans.js';
import { edited, envOf, planOf, type Step } from '../types.js';

/** The images to promote and where they came from. */
async function sourceImages(
  tree: string,
  from: Environment,
  to: Environment,
  ctx: CommandContext,
): Promise<{ images: KustomizeImage[]; source: PromoteSource }> {
  const g = gitContext(ctx, tree);
  if (!to.requireVerified)
    return {
      images: await readOverlayImages(tree, from),
      source: { kind: 'tip', commit: (await revParse('HEAD', g)) ?? '' },
    };
  await fetchVerified(g);
  const [last] = await readVerified(g, from.name);
  if (!last) {
    throw invalid(
      'NOTHING_VERIFIED',
      `${to.name} requires verified images, and no deploy of ${from.name} has been verified.`,
      `Deploy ${from.name} first (gitops-flow deploy --env ${from.name}), or drop requireVerified for ${to.name} in gitops-flow.yaml.`,
      from.name,
    );
  }
  const age = Date.now() - Date.parse(last.time);
  if (to.minSoakMs && age < to.minSoakMs) {
    const wait = Math.ceil((to.minSoakMs - age) / 60_000);
    throw invalid(
      'SOAK_NOT_REACHED',
      `${from.name}'s images were verified ${Math.floor(age / 60_000)} min ago; ${to.name} requires ${Math.round(to.minSoakMs / 60_000)} min of soak.`,
      `Promote again in about ${wait} min.`,
      last.time,
    );
  }
  return { images: last.entries, source: { kind: 'verified', commit: last.commit, verifiedAt: last.time } };
}

export const imagesCopy: Step = {
  name: 'images/copy',
  summary: "set the source env's (verified) images in the target overlay (promote)",
  inputs: {},
  outputs: {},
  edits: true,
  async run(rc) {
    const p = planOf(rc, 'promote');
    const to = envOf(rc);
    await refuseIfPinned(rc.tree, to, 'promote', p.force);
    const { images, source } = await sourceImages(rc.tree, p.from, to, rc.cmd);
    rc.change.source = source;
    rc.change.entries = selectImages(images, p.only, p.from.name);
    rc.change.images = imageMap(rc.change.entries);
    requireDigestEntries(to, rc.change.entries, p.from.name);
    rc.change.record = {
      action: 'promote',
      env: to.name,
      fromEnv: p.from.name,
      fromCommit: source.commit,
      images: rc.change.images,
    };
    const changed = await setOverlayImages(rc.tree, to, rc.change.entries);
    const unpinned = p.force ? await removePin(rc.tree, to) : undefined;
    return edited(rc, [
      ...(changed || unpinned ? [overlayFile(rc.tree, to).rel] : []),
      ...(unpinned ? [unpinned] : []),
    ]);
  },
};
