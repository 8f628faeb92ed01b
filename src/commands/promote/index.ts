/**
 * `promote --from <a> --to <b>`: copy a's images (its last *verified* ones when b requires it) into
 * b's overlay, commit, deploy and verify b, then push — through the shared release flow.
 */

import { gitContext, revParse } from '../../adapters/git.js';
import { fetchVerified, readVerified } from '../../adapters/git-notes.js';
import { overlayFile, readOverlayImages, setOverlayImages } from '../../adapters/overlay.js';
import { refuseIfPinned, removePin } from '../../adapters/pin-file.js';
import { requireDigestEntries } from '../../adapters/registry/digests.js';
import { loadConfig, repoDir } from '../../adapters/repo.js';
import { clampTimeout } from '../../core/bounds.js';
import { type Environment, getEnvironment } from '../../core/config.js';
import { parseDuration } from '../../core/duration.js';
import { invalid, quote } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { imageMap, type KustomizeImage } from '../../core/kustomization.js';
import { releaseMessage } from '../../core/trailers.js';
import { runRelease } from '../../steps/engine/release.js';

export interface PromoteOptions {
  repoDir?: string;
  from: string;
  to: string;
  /** Only these image names (default: every image of the source overlay). */
  images?: string[];
  deploy?: boolean;
  push?: boolean;
  timeout?: string;
  /** Promote into a pinned env (and unpin it). */
  force?: boolean;
}

export interface PromoteResult {
  from: string;
  to: string;
  images: Record<string, string>;
  /** Where the images came from: the source overlay at the tip, or its last verified deploy. */
  source: { kind: 'tip' | 'verified'; commit: string; verifiedAt?: string };
  commit: string;
  changed: boolean;
  deployed: boolean;
  pushed: boolean;
  pushAttempts: number;
}

export async function promote(o: PromoteOptions, ctx: CommandContext): Promise<PromoteResult> {
  const root = repoDir(ctx, o.repoDir);
  const timeoutMs = o.timeout ? clampTimeout(parseDuration(o.timeout, '--timeout')) : undefined;
  const config = await loadConfig(root);
  const from = getEnvironment(config, o.from);
  const to = getEnvironment(config, o.to);
  if (from.name === to.name)
    throw invalid(
      'PROMOTE_SAME_ENV',
      `Cannot promote ${quote(from.name)} to itself.`,
      'Pass two different environments.',
    );
  if (to.promoteFrom && !to.promoteFrom.includes(from.name)) {
    throw invalid(
      'PROMOTE_NOT_ALLOWED',
      `${to.name} may not be promoted from ${from.name}.`,
      to.promoteFrom.length
        ? `Promote ${to.name} from ${to.promoteFrom.join(' or ')}, or add ${from.name} to environments.${to.name}.promoteFrom in gitops-flow.yaml.`
        : `${to.name} is first in the promotion order; it receives images through suggest.`,
      `${from.name} → ${to.name}`,
    );
  }
  let images: KustomizeImage[] = [];
  let source: PromoteResult['source'] = { kind: 'tip', commit: '' };
  const result = await runRelease(
    {
      root,
      config,
      env: to,
      verb: 'promote',
      inputs: { from: from.name, to: to.name },
      editStep: 'images/copy',
      deploy: o.deploy !== false,
      push: o.push !== false,
      ...(timeoutMs && { timeoutMs }),
      edit: async (tree) => {
        await refuseIfPinned(tree, to, 'promote', Boolean(o.force));
        ({ images, source } = await sourceImages(tree, from, to, ctx));
        images = selectImages(images, o.images, from.name);
        requireDigestEntries(to, images, from.name);
        const changed = await setOverlayImages(tree, to, images);
        const unpinned = o.force ? await removePin(tree, to) : undefined;
        return [...(changed || unpinned ? [overlayFile(tree, to).rel] : []), ...(unpinned ? [unpinned] : [])];
      },
      message: () =>
        releaseMessage({
          action: 'promote',
          env: to.name,
          fromEnv: from.name,
          fromCommit: source.commit,
          images: imageMap(images),
        }),
    },
    ctx,
  );
  const out: PromoteResult = { from: from.name, to: to.name, images: imageMap(images), source, ...result };
  ctx.log.info(
    ctx.opts.dryRun
      ? `Dry run: would promote ${from.name} → ${to.name}: ${Object.entries(out.images)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}${result.changed ? '' : ' (no change)'}; nothing was changed.`
      : result.changed || result.pushed
        ? `Promoted ${from.name} → ${to.name}: ${Object.entries(out.images)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}${result.deployed ? ', verified' : ''}${result.pushed ? ', pushed' : ''}.`
        : `No change: ${to.name} already has ${from.name}'s images.`,
  );
  if (ctx.opts.json) ctx.log.result(JSON.stringify(out, null, 2));
  return out;
}

/**
 * The images to promote: when the target requires verification, those of the source's last verified
 * deploy (old enough for `minSoak`); otherwise the source overlay at the tip of the branch.
 */
async function sourceImages(
  tree: string,
  from: Environment,
  to: Environment,
  ctx: CommandContext,
): Promise<{ images: KustomizeImage[]; source: PromoteResult['source'] }> {
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

/** The source images to copy; `only` names a subset, each of which must exist. */
function selectImages(all: KustomizeImage[], only: string[] | undefined, env: string): KustomizeImage[] {
  if (all.length === 0)
    throw invalid(
      'NOTHING_TO_PROMOTE',
      `The overlay of ${env} sets no images.`,
      `Set images in ${env} first (suggest, or kustomize edit set image).`,
      env,
    );
  if (!only || only.length === 0) return all;
  const missing = only.filter((n) => !all.some((i) => i.name === n));
  if (missing.length > 0) {
    throw invalid(
      'IMAGE_NOT_IN_SOURCE',
      `${env} has no image named ${missing.map((m) => quote(m)).join(', ')}.`,
      `Use one of: ${all.map((i) => i.name).join(', ')}.`,
      missing.join(','),
    );
  }
  return all.filter((i) => only.includes(i.name));
}
