/** `render --env <e> [--ref <r>] [--out <f>]`: kustomize build with the pinned tool. */

import { repoDir } from '../../adapters/repo.js';
import { getEnvironment } from '../../core/config.js';
import type { CommandContext } from '../../core/io.js';
import { objectsOf, parseManifest, workloadsOf } from '../../core/workloads.js';
import { loadConfig } from '../../steps/config.js';
import { renderEnv, renderPath, writeRender } from '../../steps/deploy/release.js';

export interface RenderOptions {
  repoDir?: string;
  env: string;
  ref?: string;
  out?: string;
}

export async function render(o: RenderOptions, ctx: CommandContext): Promise<void> {
  const root = repoDir(ctx, o.repoDir);
  const env = getEnvironment(await loadConfig(root), o.env);
  const manifest = await renderEnv({ root, env, ...(o.ref && { ref: o.ref }) }, ctx);
  const out = o.out ? renderPath(root, env.name, o.out) : undefined;
  if (out) {
    await writeRender(out, manifest);
    ctx.log.info(`Rendered ${env.name} to ${out}`);
  }
  if (ctx.opts.json) {
    const objects = parseManifest(manifest);
    ctx.log.result(
      JSON.stringify(
        {
          env: env.name,
          ref: o.ref ?? null,
          out: out ?? null,
          objects: objectsOf(objects),
          workloads: workloadsOf(objects).map(({ kind, name, namespace, images }) => ({
            kind,
            name,
            namespace: namespace ?? null,
            images,
          })),
        },
        null,
        2,
      ),
    );
  } else if (!out) {
    ctx.io.stdout.write(manifest);
  }
}
