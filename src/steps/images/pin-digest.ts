/** `images/pin-digest` (suggest): resolve each tag to its digest, with --pin-digest or in a requireDigest env. */
import { readOverlayImages } from '../../adapters/overlay.js';
import { pinDigests } from '../../adapters/registry/digests.js';
import { insecureRegistries, RegistryClient } from '../../adapters/registry/oci.js';
import { type Environment, getEnvironment } from '../../core/config.js';
import { configOf, planOf, type ReleaseContext, type Step } from '../types.js';

/** The env a suggestion goes to, looked up in the config of the clone the first time a step needs it. */
export function suggestedEnv(rc: ReleaseContext): Environment {
  rc.env ??= getEnvironment(configOf(rc), planOf(rc, 'suggest').env);
  return rc.env;
}

export const imagesPinDigest: Step = {
  name: 'images/pin-digest',
  summary: 'resolve image tags to digests in the registry, with --pin-digest (suggest)',
  inputs: {},
  outputs: {},
  async run(rc) {
    const p = planOf(rc, 'suggest');
    const config = configOf(rc);
    const env = suggestedEnv(rc);
    rc.change.entries = p.images;
    if (!p.pinDigest && !env.requireDigest) return 'skipped';
    const { log, io } = rc.cmd;
    const insecure = insecureRegistries(io.env, config.insecureRegistries, log);
    const client = new RegistryClient({ env: io.env, log, insecure });
    const pinned = await pinDigests(p.images, await readOverlayImages(rc.tree, env), client);
    for (const i of pinned)
      log.info(
        `  ${i.name}: ${i.newName ?? i.name}${i.newTag && i.newTag !== '*' ? `:${i.newTag}` : ''} is ${i.digest}`,
      );
    rc.change.entries = pinned;
    return 'succeeded';
  },
};
