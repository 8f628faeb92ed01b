/** `render`: the overlay rendered with the pinned kustomize; the deploy verb deploys that render. */
import { getEnvironment } from '../core/config.js';
import { renderEnv, renderPath, writeRender } from './deploy/release.js';
import { envOf, type Step } from './types.js';

export const render: Step = {
  name: 'render',
  summary: 'render the overlay with the pinned kustomize and keep the manifest',
  inputs: {
    env: { description: 'environment', required: true },
    ref: { description: 'commit to render', default: 'HEAD' },
  },
  outputs: { manifest: 'path of the rendered manifest' },
  async run(rc) {
    rc.deployed.manifest = await renderEnv(
      { root: rc.tree, env: envOf(rc), ...(rc.deployed.ref !== undefined && { ref: rc.deployed.ref }) },
      rc.cmd,
    );
    return 'succeeded';
  },
  async use(p, w) {
    const env = getEnvironment(p.config, w.env as string);
    const manifest = await renderEnv({ root: p.root, env, ...(w.ref && { ref: w.ref }) }, p.cmd);
    const path = renderPath(p.root, env.name);
    await writeRender(path, manifest);
    return { result: 'succeeded', outputs: { manifest: path } };
  },
};
