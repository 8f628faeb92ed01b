/**
 * The checks an image edit passes before it is written: the edited overlay's render must run every
 * image it sets, as set (else exit 2 naming the images the render runs; --allow-unused skips this),
 * and no other env may read the edited file unless --include-shared (exit 2 naming them).
 */
import { envsReading, renderedImagesIn } from '../../adapters/env-images.js';
import { withFile, worktree } from '../../adapters/trees.js';
import type { Environment, ResolvedConfig } from '../../core/config.js';
import { invalid } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import type { KustomizeImage } from '../../core/kustomization.js';
import { checkImagesUsed } from '../../core/promotion.js';

export async function checkImageEdit(
  p: {
    tree: string;
    env: Environment;
    config?: ResolvedConfig;
    edit: { rel: string; text: string };
    set: KustomizeImage[];
    verb: 'suggest' | 'promote';
    allowUnused?: boolean;
    includeShared?: boolean;
  },
  ctx: CommandContext,
): Promise<void> {
  const tree = worktree(p.tree);
  if (p.config && !p.includeShared) {
    const others = [...p.config.environments.values()].filter((e) => e.name !== p.env.name);
    const readers = await envsReading(tree, others, [p.edit.rel]);
    if (readers.length > 0) throw sharedRefused(p.env.name, readers, p.verb);
  }
  if (p.allowUnused) return;
  const after = await renderedImagesIn(withFile(tree, p.edit.rel, p.edit.text), p.env, {
    env: ctx.io.env,
    log: ctx.log,
  });
  checkImagesUsed({ env: p.env.name, set: p.set, images: after.images, sources: after.sources, verb: p.verb });
}

/** Exit 2: the change would also change other envs' renders. */
export function sharedRefused(env: string, readers: { env: string; files: string[] }[], verb: string) {
  const names = [...new Set(readers.map((r) => r.env))];
  const files = [...new Set(readers.flatMap((r) => r.files))];
  return invalid(
    'SHARED_FILES',
    `${verb} of ${env} would change ${files.length === 1 ? 'a file' : `${files.length} files`} the render of ${names.join(', ')} also reads${files.length <= 3 ? `: ${files.join(', ')}` : ''}.`,
    `Their renders would change too: check them (gitops-flow diff), then pass --include-shared to change them along with ${env} (or set environments.${env}.includeShared: true in gitops-flow.yaml).`,
    names.join(','),
    // An env can be listed twice (a reader now and at the restore point): name it once per file.
    files.map(
      (f) => `${f}: read by ${[...new Set(readers.filter((r) => r.files.includes(f)).map((r) => r.env))].join(', ')}`,
    ),
  );
}
