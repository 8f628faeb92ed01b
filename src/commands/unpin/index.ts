/** `unpin --env <e>`: release a rollback's hold, so promote and suggest may change the env again. */
import { repoDir } from '../../adapters/repo.js';
import { getEnvironment } from '../../core/config.js';
import type { CommandContext } from '../../core/io.js';
import { loadConfig } from '../../steps/config.js';
import { resultOf } from '../../steps/context.js';
import { runRelease } from '../../steps/engine/release.js';
import { STEPS } from '../../steps/registry.js';
import type { ReleaseResult } from '../../steps/types.js';

export async function unpin(
  o: { repoDir?: string; env: string; push?: boolean },
  ctx: CommandContext,
): Promise<ReleaseResult & { env: string; images: Record<string, string> }> {
  const root = repoDir(ctx, o.repoDir);
  const config = await loadConfig(root);
  const env = getEnvironment(config, o.env);
  const rc = await runRelease(
    { root, config, env, plan: { verb: 'unpin' }, deploy: false, push: o.push !== false },
    ctx,
    STEPS,
  );
  const r = resultOf(rc);
  ctx.log.info(
    r.changed ? `${env.name} is no longer pinned${r.pushed ? ' (pushed)' : ''}.` : `${env.name} was not pinned.`,
  );
  return { env: env.name, images: rc.change.images, ...r };
}
