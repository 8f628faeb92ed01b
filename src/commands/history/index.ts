/** `history [--env <e>] [--since <t>] [--limit <n>] [--json]`: every release, newest first, from git. */

import { gitContext } from '../../adapters/git.js';
import { repoDir } from '../../adapters/repo.js';
import { getEnvironment } from '../../core/config.js';
import type { CommandContext } from '../../core/io.js';
import { loadConfig } from '../../steps/config.js';
import { type Release, readReleases } from './releases.js';

export interface HistoryOptions {
  repoDir?: string;
  env?: string;
  since?: string;
  limit?: number;
}

export async function history(o: HistoryOptions, ctx: CommandContext): Promise<Release[]> {
  const root = repoDir(ctx, o.repoDir);
  const config = await loadConfig(root);
  if (o.env) getEnvironment(config, o.env);
  const releases = await readReleases(config, gitContext(ctx, root), o);
  if (ctx.opts.json) {
    ctx.log.result(
      JSON.stringify(
        releases.map(({ commit, time, env, action, images, previousImages, source, subject, author }) => ({
          commit,
          time,
          env,
          action,
          images,
          previousImages,
          source,
          subject,
          author,
        })),
        null,
        2,
      ),
    );
  } else {
    for (const r of releases) {
      const names = [...new Set([...Object.keys(r.previousImages), ...Object.keys(r.images)])];
      const change = names.map((k) => `${k}: ${r.previousImages[k] ?? '∅'} → ${r.images[k] ?? '∅'}`);
      ctx.io.stdout.write(
        `${r.commit.slice(0, 12)}  ${r.time}  ${r.env.padEnd(8)} ${r.action.padEnd(8)} ${change.join(', ') || '(no image change)'}${r.source.pipelineId ? `  [pipeline ${r.source.pipelineId} of ${r.source.project ?? '?'}]` : ''}\n`,
      );
    }
  }
  return releases;
}
