/**
 * `rollback --env <e> [--to <ref>]`: put the env's overlay back to its previous release (or `--to`) as
 * a new commit, deploy, verify, push — and pin the env so automated updates do not undo it.
 */

import { gitContext, resolveRef, revParse } from '../../adapters/git.js';
import { lastCommitTouching } from '../../adapters/git-history.js';
import { restorePaths } from '../../adapters/git-tree.js';
import { readOverlayImages } from '../../adapters/overlay.js';
import { PIN_FILE, writePin } from '../../adapters/pin-file.js';
import { loadConfig, repoDir } from '../../adapters/repo.js';
import { clampTimeout } from '../../core/bounds.js';
import { getEnvironment } from '../../core/config.js';
import { parseDuration } from '../../core/duration.js';
import { invalid } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { imageMap } from '../../core/kustomization.js';
import { releaseMessage } from '../../core/trailers.js';
import { type ReleaseResult, runRelease } from '../../steps/engine/release.js';

export interface RollbackOptions {
  repoDir?: string;
  env: string;
  to?: string;
  deploy?: boolean;
  push?: boolean;
  timeout?: string;
  reason?: string;
}

export async function rollback(
  o: RollbackOptions,
  ctx: CommandContext,
): Promise<ReleaseResult & { env: string; to: string; images: Record<string, string> }> {
  const root = repoDir(ctx, o.repoDir);
  const timeoutMs = o.timeout ? clampTimeout(parseDuration(o.timeout, '--timeout')) : undefined;
  const config = await loadConfig(root);
  const env = getEnvironment(config, o.env);
  if (o.to) await resolveRef(o.to, gitContext(ctx, root));
  let target = '';
  let images: Record<string, string> = {};
  const result = await runRelease(
    {
      root,
      config,
      env,
      verb: 'rollback',
      editStep: 'overlay/rollback',
      deploy: o.deploy !== false,
      push: o.push !== false,
      ...(timeoutMs && { timeoutMs }),
      edit: async (tree) => {
        const g = gitContext(ctx, tree);
        target ||= o.to ? await resolveRef(o.to, g) : await previousRelease(env.overlay, g);
        const pin = `${env.overlay.replace(/\/$/, '')}/${PIN_FILE}`;
        const changed = await restorePaths(target, [env.overlay], g, [pin]);
        images = imageMap(await readOverlayImages(tree, env));
        if (changed.length === 0) return [];
        await writePin(tree, env, {
          reason: o.reason ?? `rollback to ${target.slice(0, 12)}`,
          pinnedAt: new Date().toISOString(),
          commit: target,
        });
        return [env.overlay];
      },
      message: () => releaseMessage({ action: 'rollback', env: env.name, images, restoredFrom: target }),
    },
    ctx,
  );
  ctx.log.info(
    result.changed
      ? `Rolled back ${env.name} to ${target.slice(0, 12)}${result.deployed ? ', verified' : ''}${result.pushed ? ', pushed' : ''}; ${env.name} is pinned (gitops-flow unpin --env ${env.name} to release it).`
      : `No change: ${env.name}'s overlay already equals ${target.slice(0, 12)}.`,
  );
  const out = { env: env.name, to: target, images, ...result };
  if (ctx.opts.json) ctx.log.result(JSON.stringify(out, null, 2));
  return out;
}

/** The state before the env's latest release: the parent of the last commit that changed its overlay. */
async function previousRelease(overlay: string, g: ReturnType<typeof gitContext>): Promise<string> {
  const last = await lastCommitTouching('HEAD', overlay, g);
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
