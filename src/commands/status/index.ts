/** `status [--json]`: what runs where, since when — from git. */
import { git } from '../../adapters/git.js';
import { type CommandContext, gitContext, loadConfig, repoDir } from '../context.js';
import { readOverlayImages } from '../shared/overlay.js';
import { imageMap } from '../../core/kustomization.js';

export interface EnvStatus {
  images: Record<string, string>;
  commit: string;
  updatedAt: string;
}

export async function status(o: { repoDir?: string }, ctx: CommandContext): Promise<Record<string, EnvStatus>> {
  const root = repoDir(ctx, o.repoDir);
  const config = await loadConfig(root);
  const g = gitContext(ctx, root);
  const environments: Record<string, EnvStatus> = {};
  for (const name of config.order) {
    const env = config.environments.get(name);
    if (!env) continue;
    const last = await git(['log', '-1', '--format=%H%x00%cI', 'HEAD', '--', env.overlay], g, { allowFailure: true });
    const [commit = '', updatedAt = ''] = last.stdout.trim().split('\x00');
    environments[name] = { images: imageMap(await readOverlayImages(root, env)), commit, updatedAt };
  }
  if (ctx.opts.json) {
    ctx.log.result(JSON.stringify({ environments }, null, 2));
  } else {
    const rows = Object.entries(environments).flatMap(([env, s]) => {
      const images = Object.entries(s.images);
      const when = `${s.commit.slice(0, 12) || '-'}  ${s.updatedAt || '-'}`;
      return images.length ? images.map(([n, ref], i) => [i ? '' : env, n, ref, i ? '' : when]) : [[env, '-', '-', when]];
    });
    ctx.io.stdout.write(table([['ENV', 'IMAGE', 'REFERENCE', 'COMMIT  UPDATED'], ...rows]));
  }
  return environments;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}
