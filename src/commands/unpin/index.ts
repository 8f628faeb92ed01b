/** `unpin --env <e>`: release a rollback's hold, so promote and suggest may change the env again. */

import { readOverlayImages } from '../../adapters/overlay.js';
import { removePin } from '../../adapters/pin-file.js';
import { loadConfig, repoDir } from '../../adapters/repo.js';
import { getEnvironment } from '../../core/config.js';
import type { CommandContext } from '../../core/io.js';
import { imageMap } from '../../core/kustomization.js';
import { releaseMessage } from '../../core/trailers.js';
import { type ReleaseResult, runRelease } from '../../steps/engine/release.js';

export async function unpin(
  o: { repoDir?: string; env: string; push?: boolean },
  ctx: CommandContext,
): Promise<ReleaseResult & { env: string; images: Record<string, string> }> {
  const root = repoDir(ctx, o.repoDir);
  const config = await loadConfig(root);
  const env = getEnvironment(config, o.env);
  let images: Record<string, string> = {};
  const r = await runRelease(
    {
      root,
      config,
      env,
      verb: 'unpin',
      editStep: 'pin/remove',
      deploy: false,
      push: o.push !== false,
      edit: async (tree) => {
        images = imageMap(await readOverlayImages(tree, env));
        const removed = await removePin(tree, env);
        return removed ? [removed] : [];
      },
      message: () => releaseMessage({ action: 'unpin', env: env.name, images }),
    },
    ctx,
  );
  ctx.log.info(
    r.changed ? `${env.name} is no longer pinned${r.pushed ? ' (pushed)' : ''}.` : `${env.name} was not pinned.`,
  );
  return { env: env.name, images, ...r };
}
