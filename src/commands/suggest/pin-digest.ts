/** suggest's `images/pin-digest` step: resolve each tag to its digest with --pin-digest or a requireDigest env. */

import { readOverlayImages } from '../../adapters/overlay.js';
import { pinDigests } from '../../adapters/registry/digests.js';
import { RegistryClient } from '../../adapters/registry/oci.js';
import { getEnvironment, type ResolvedConfig } from '../../core/config.js';
import type { CommandContext } from '../../core/io.js';
import type { KustomizeImage } from '../../core/kustomization.js';

/** The images with digests, or undefined when this suggestion is not pinned (the step is skipped). */
export async function pinSuggestion(
  p: { dir: string; config: ResolvedConfig; env: string; images: KustomizeImage[]; pinDigest: boolean },
  ctx: CommandContext,
): Promise<KustomizeImage[] | undefined> {
  const env = getEnvironment(p.config, p.env);
  if (!p.pinDigest && !env.requireDigest) return undefined;
  const client = new RegistryClient({ env: ctx.io.env, log: ctx.log, insecure: p.config.insecureRegistries });
  const pinned = await pinDigests(p.images, await readOverlayImages(p.dir, env), client);
  for (const i of pinned)
    ctx.log.info(
      `  ${i.name}: ${i.newName ?? i.name}${i.newTag && i.newTag !== '*' ? `:${i.newTag}` : ''} is ${i.digest}`,
    );
  return pinned;
}
