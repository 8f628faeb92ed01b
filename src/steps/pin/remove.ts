/** `pin/remove` (unpin): remove the pin a rollback put on the env, so promote and suggest may change it again. */
import { readOverlayImages } from '../../adapters/overlay.js';
import { removePin } from '../../adapters/pin-file.js';
import { imageMap } from '../../core/kustomization.js';
import { edited, envOf, type Step } from '../types.js';

export const pinRemove: Step = {
  name: 'pin/remove',
  summary: 'remove the pin a rollback put on the env (unpin)',
  inputs: {},
  outputs: {},
  edits: true,
  async run(rc) {
    const env = envOf(rc);
    rc.change.images = imageMap(await readOverlayImages(rc.tree, env));
    rc.change.record = { action: 'unpin', env: env.name, images: rc.change.images };
    const removed = await removePin(rc.tree, env);
    return edited(rc, removed ? [removed] : []);
  },
};
