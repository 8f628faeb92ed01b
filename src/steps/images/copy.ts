/**
 * `images/copy` (promote): set the source env's images in the target overlay — its last *verified*
 * ones when the target requires it (old enough for `minSoak`), else the source overlay at the tip.
 */

import { worktreeImages } from '../../adapters/env-images.js';
import { gitContext, revParse } from '../../adapters/git.js';
import { fetchVerified, readVerified } from '../../adapters/git-notes.js';
import { editOverlayImages, writeOverlayText } from '../../adapters/overlay.js';
import { refuseIfPinned, removePin } from '../../adapters/pin-file.js';
import { requireDigestEntries } from '../../adapters/registry/digests.js';
import type { Environment } from '../../core/config.js';
import { invalid } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { imageMap } from '../../core/kustomization.js';
import { type PromoteSource, selectImages } from '../../core/plans.js';
import { planPromotion, promotedEntries } from '../../core/promotion.js';
import { edited, envOf, planOf, type Step } from '../types.js';
import { checkImageEdit } from './check.js';

/** The images to promote (name → reference) and where they came from. */
async function sourceImages(
  tree: string,
  from: Environment,
  to: Environment,
  ctx: CommandContext,
): Promise<{ images: Record<string, string>; source: PromoteSource }> {
  const g = gitContext(ctx, tree);
  if (!to.requireVerified)
    return {
      // What the source's render runs, wherever it is set (overlay, base, component, patch…).
      images: (await worktreeImages(tree, from, { env: ctx.io.env, log: ctx.log })).images,
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
  return { images: imageMap(last.entries), source: { kind: 'verified', commit: last.commit, verifiedAt: last.time } };
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
    const ctx = { env: rc.cmd.io.env, log: rc.cmd.log };
    const { images, source } = await sourceImages(rc.tree, p.from, to, rc.cmd);
    const names = selectImages(
      Object.keys(images).map((name) => ({ name })),
      p.only,
      p.from.name,
    ).map((i) => i.name);
    const target = await worktreeImages(rc.tree, to, ctx);
    const plan = planPromotion({
      from: {
        name: p.from.name,
        ...(p.from.registry && { registry: p.from.registry }),
        images: Object.fromEntries(names.map((n) => [n, images[n] as string])),
      },
      to: {
        name: to.name,
        ...(to.registry && { registry: to.registry }),
        images: target.images,
        entries: target.entries,
      },
    });
    for (const line of plan.kept) rc.cmd.log.info(`registry: ${line}`);
    for (const s of plan.skipped) rc.cmd.log.info(`not promoted: ${s.name} (${s.reason})`);
    rc.change.source = source;
    rc.change.entries = plan.args;
    rc.change.images = plan.images;
    // Every image prod would run from the source, changed by this edit or already there, must be pinned.
    requireDigestEntries(to, promotedEntries(plan.images), p.from.name);
    rc.change.record = {
      action: 'promote',
      env: to.name,
      fromEnv: p.from.name,
      fromCommit: source.commit,
      images: rc.change.images,
    };
    const edit = await editOverlayImages(rc.tree, to, plan.args);
    if (edit.changed) {
      await checkImageEdit(
        {
          tree: rc.tree,
          env: to,
          config: rc.config,
          edit,
          set: plan.args,
          verb: 'promote',
          allowUnused: p.allowUnused,
          includeShared: p.includeShared || to.includeShared,
        },
        rc.cmd,
      );
      await writeOverlayText(edit.abs, edit.text);
    }
    const unpinned = p.force ? await removePin(rc.tree, to) : undefined;
    return edited(rc, [...(edit.changed || unpinned ? [edit.rel] : []), ...(unpinned ? [unpinned] : [])]);
  },
};
