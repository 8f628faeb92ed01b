/**
 * `images/set` (suggest): set the images in the env's overlay as `kustomize edit set image` would. A
 * pinned env (a rollback holds it) refuses unless --force, which also unpins.
 */
import { editOverlayImages, writeOverlayText } from '../../adapters/overlay.js';
import { refuseIfPinned, removePin } from '../../adapters/pin-file.js';
import { imageMap, parseKustomization, readImages } from '../../core/kustomization.js';
import { edited, planOf, type Step } from '../types.js';
import { checkImageEdit } from './check.js';
import { suggestedEnv } from './pin-digest.js';

export const imagesSet: Step = {
  name: 'images/set',
  summary: 'set the images in the overlay, as kustomize edit set image does (suggest)',
  inputs: {},
  outputs: {},
  edits: true,
  async run(rc) {
    const p = planOf(rc, 'suggest');
    const env = suggestedEnv(rc);
    await refuseIfPinned(rc.tree, env, 'suggest', p.force);
    const edit = await editOverlayImages(rc.tree, env, rc.change.entries);
    if (edit.changed) {
      // Refused before anything is written: a name no workload runs (a typo) would be committed and pushed.
      await checkImageEdit(
        { tree: rc.tree, env, edit, set: rc.change.entries, verb: 'suggest', allowUnused: p.allowUnused },
        rc.cmd,
      );
      await writeOverlayText(edit.abs, edit.text);
    }
    const changed = edit.changed;
    const unpinned = p.force ? await removePin(rc.tree, env) : undefined;
    const paths = [...(changed || unpinned ? [edit.rel] : []), ...(unpinned ? [unpinned] : [])];
    if (paths.length === 0) return edited(rc, paths);
    // The commit records the suggested images as the overlay now has them: the edit's text, not read back.
    const after = readImages(parseKustomization(edit.text, edit.rel));
    const wanted = new Set(p.images.map((i) => i.name));
    rc.change.images = imageMap(after.filter((i) => wanted.has(i.name)));
    rc.change.record = { action: 'suggest', env: env.name, images: rc.change.images, upstream: p.upstream };
    return edited(rc, paths);
  },
};
