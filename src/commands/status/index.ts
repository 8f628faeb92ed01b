/**
 * `status [--json] [--no-cluster]`: per environment the images, the commit that last changed its
 * overlay and when, whether that state was verified, whether it is pinned, and — when its cluster is
 * reachable — whether the live workloads run exactly those images (drift).
 */
import pc from 'picocolors';
import { gitContext } from '../../adapters/git.js';
import { lastChanges } from '../../adapters/git-history.js';
import { readVerified, type Verification } from '../../adapters/git-notes.js';
import { getJson } from '../../adapters/kubectl.js';
import { readOverlayImages } from '../../adapters/overlay.js';
import { readPin } from '../../adapters/pin-file.js';
import { loadConfig, repoDir } from '../../adapters/repo.js';
import type { Environment } from '../../core/config.js';
import { type Colors, type CommandContext, colorEnabled } from '../../core/io.js';
import { imageMap } from '../../core/kustomization.js';
import { parseManifest, workloadsOf } from '../../core/workloads.js';
import { renderEnv, resolveTarget } from '../../steps/deploy/release.js';

export interface EnvStatus {
  images: Record<string, string>;
  commit: string;
  updatedAt: string;
  /** `verified`: a deploy verified exactly these images; `pending`: not (yet). */
  verification: { state: 'verified' | 'pending'; commit: string | null; time: string | null };
  pinned: { reason: string; since: string } | null;
  drift: { checked: boolean; inSync: boolean | null; differences: string[]; reason?: string };
}

export async function status(
  o: { repoDir?: string; cluster?: boolean },
  ctx: CommandContext,
): Promise<Record<string, EnvStatus>> {
  const root = repoDir(ctx, o.repoDir);
  const config = await loadConfig(root);
  const g = gitContext(ctx, root);
  const [verified, changes] = await Promise.all([
    readVerified(g),
    lastChanges(
      'HEAD',
      config.order.map((n) => (config.environments.get(n) as Environment).overlay),
      g,
    ),
  ]);
  const environments: Record<string, EnvStatus> = {};
  await Promise.all(
    config.order.map(async (name) => {
      const env = config.environments.get(name) as Environment;
      const { commit = '', time: updatedAt = '' } = changes.get(env.overlay) ?? {};
      const images = imageMap(await readOverlayImages(root, env));
      const pin = await readPin(root, env);
      environments[name] = {
        images,
        commit,
        updatedAt,
        verification: verificationState(
          images,
          verified.find((v) => v.env === name),
        ),
        pinned: pin ? { reason: pin.reason, since: pin.pinnedAt } : null,
        drift:
          o.cluster === false
            ? { checked: false, inSync: null, differences: [], reason: 'not checked (--no-cluster)' }
            : await drift(root, env, ctx),
      };
    }),
  );
  const ordered = Object.fromEntries(config.order.map((n) => [n, environments[n] as EnvStatus]));
  if (ctx.opts.json) ctx.log.result(JSON.stringify({ environments: ordered }, null, 2));
  else ctx.io.stdout.write(table(ordered, pc.createColors(colorEnabled(ctx.io, 'stdout'))));
  return ordered;
}

function verificationState(images: Record<string, string>, last: Verification | undefined): EnvStatus['verification'] {
  const same =
    last !== undefined &&
    JSON.stringify(Object.entries(last.images).sort()) === JSON.stringify(Object.entries(images).sort());
  return { state: same ? 'verified' : 'pending', commit: last?.commit ?? null, time: last?.time ?? null };
}

interface LiveList {
  items: {
    kind: string;
    metadata: { name: string; namespace?: string };
    spec: {
      template: {
        spec: { containers: { name: string; image: string }[]; initContainers?: { name: string; image: string }[] };
      };
    };
  }[];
}

/** Compares the images of the render's workloads with the live ones, when the cluster answers. */
async function drift(root: string, env: Environment, ctx: CommandContext): Promise<EnvStatus['drift']> {
  try {
    const workloads = workloadsOf(parseManifest(await renderEnv({ root, env, ref: 'HEAD' }, ctx)));
    const target = await resolveTarget(env, ctx, root);
    const live = await getJson<LiveList>(
      ['deployments.apps,statefulsets.apps,daemonsets.apps', '--all-namespaces', '--request-timeout=5s'],
      target,
      { env: ctx.io.env, log: ctx.log, cwd: root },
    );
    const differences: string[] = [];
    for (const w of workloads) {
      const item = live.items.find(
        (i) =>
          i.kind === w.kind && i.metadata.name === w.name && (!w.namespace || i.metadata.namespace === w.namespace),
      );
      if (!item) {
        differences.push(`${w.kind}/${w.name}: not in the cluster`);
        continue;
      }
      const containers = [...(item.spec.template.spec.initContainers ?? []), ...item.spec.template.spec.containers];
      for (const [name, image] of Object.entries(w.images)) {
        const liveImage = containers.find((c) => c.name === name)?.image;
        if (liveImage !== image)
          differences.push(`${w.kind}/${w.name} container ${name}: live ${liveImage ?? '(none)'}, git ${image}`);
      }
    }
    return { checked: true, inSync: differences.length === 0, differences };
  } catch (e) {
    return {
      checked: false,
      inSync: null,
      differences: [],
      reason: `cluster not reachable: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`,
    };
  }
}

/** The human table (stdout): columns padded on the plain text, then coloured. */
function table(envs: Record<string, EnvStatus>, c: Colors): string {
  const rows: string[][] = [['ENV', 'IMAGE', 'REFERENCE', 'COMMIT', 'UPDATED', 'STATE']];
  for (const [env, s] of Object.entries(envs)) {
    const state = [
      s.verification.state,
      s.pinned ? 'pinned' : '',
      s.drift.checked ? (s.drift.inSync ? 'in sync' : 'DRIFT') : '',
    ]
      .filter(Boolean)
      .join(', ');
    const images = Object.entries(s.images);
    if (images.length === 0) images.push(['-', '-']);
    images.forEach(([n, ref], i) => {
      rows.push(i ? ['', n, ref, '', '', ''] : [env, n, ref, s.commit.slice(0, 12) || '-', s.updatedAt || '-', state]);
    });
    for (const d of s.drift.differences) rows.push(['', '', `  drift: ${d}`, '', '', '']);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const paint = (cell: string, col: number, row: number) => {
    if (!cell.trim()) return cell;
    if (row === 0) return c.bold(cell);
    if (cell.trimStart().startsWith('drift:')) return c.red(cell);
    if (col !== 5) return col === 0 ? c.bold(cell) : cell;
    return cell
      .replace('verified', c.green('verified'))
      .replace('pending', c.yellow('pending'))
      .replace('pinned', c.magenta('pinned'))
      .replace('in sync', c.green('in sync'))
      .replace('DRIFT', c.red('DRIFT'));
  };
  return `${rows
    .map((r, ri) =>
      r
        .map((cell, i) => paint(i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0), i, ri))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}
