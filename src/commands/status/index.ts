/**
 * `status [--json] [--no-cluster]`: per environment the images its render runs and where each is set,
 * the commit that last changed anything the render reads (the overlay, a shared base, a component…)
 * and when, whether that state was verified, whether it is pinned, and — when its cluster is reachable
 * — whether the live workloads run exactly those images (drift). An env that does not render is an
 * error row; the others are still shown.
 */
import pc from 'picocolors';
import { type EnvImages, envImages } from '../../adapters/env-images.js';
import { gitContext } from '../../adapters/git.js';
import { lastChangeOfGroups } from '../../adapters/git-history.js';
import { readVerified, type Verification } from '../../adapters/git-notes.js';
import { getJson } from '../../adapters/kubectl.js';
import { readPin } from '../../adapters/pin-file.js';
import { repoDir } from '../../adapters/repo.js';
import { worktree } from '../../adapters/trees.js';
import type { Environment } from '../../core/config.js';
import { GitopsError } from '../../core/errors.js';
import { type Colors, type CommandContext, colorEnabled } from '../../core/io.js';
import { imageMap } from '../../core/kustomization.js';
import { type ImageSource, imageReferences } from '../../core/rendered-images.js';
import { parseManifest, workloadsOf } from '../../core/workloads.js';
import { loadConfig } from '../../steps/config.js';
import { renderEnv, resolveTarget } from '../../steps/deploy/release.js';

export interface EnvStatus {
  /** The images the render runs, by the name `--image` takes. */
  images: Record<string, string>;
  /** Where each image is set: the overlay's images:, a component, a base, a patch, a replacement… */
  sources: Record<string, ImageSource>;
  /** Set when the env does not render (the other envs are still reported). */
  error?: { code: string; message: string };
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
  const tree = worktree(root);
  const rendered = new Map<string, EnvImages | { failure: GitopsError }>(
    await Promise.all(
      config.order.map(async (name) => {
        const env = config.environments.get(name) as Environment;
        try {
          return [
            name,
            await envImages(
              {
                tree,
                overlay: env.overlay,
                envName: name,
                build: env.build,
                remoteResources: env.remoteResources,
                sources: true,
              },
              { env: ctx.io.env, log: ctx.log },
            ),
          ] as const;
        } catch (e) {
          if (!(e instanceof GitopsError)) throw e;
          return [name, { failure: e }] as const;
        }
      }),
    ),
  );
  const files = new Map<string, string[]>();
  for (const [name, r] of rendered) {
    const env = config.environments.get(name) as Environment;
    files.set(name, 'deps' in r ? r.deps.files : [`${env.overlay}/kustomization.yaml`]);
  }
  const [verified, changes] = await Promise.all([readVerified(g), lastChangeOfGroups('HEAD', files, g)]);
  const environments: Record<string, EnvStatus> = {};
  await Promise.all(
    config.order.map(async (name) => {
      const env = config.environments.get(name) as Environment;
      const { commit = '', time: updatedAt = '' } = changes.get(name) ?? {};
      const r = rendered.get(name);
      const ok = r && 'deps' in r ? r : undefined;
      const images = ok ? imageReferences(ok.images) : {};
      const sources: Record<string, ImageSource> = {};
      for (const i of ok?.images ?? []) if (i.source && !(i.name in sources)) sources[i.name] = i.source;
      const pin = await readPin(root, env);
      environments[name] = {
        images,
        sources,
        ...(r && 'failure' in r && { error: { code: r.failure.code, message: r.failure.message } }),
        commit,
        updatedAt,
        verification: verificationState(
          ok ? imageMap(ok.entries) : {},
          verified.find((v) => v.env === name),
        ),
        pinned: pin ? { reason: pin.reason, since: pin.pinnedAt } : null,
        drift:
          o.cluster === false
            ? { checked: false, inSync: null, differences: [], reason: 'not checked (--no-cluster)' }
            : !ok
              ? { checked: false, inSync: null, differences: [], reason: 'not checked (the env does not render)' }
              : await drift(root, env, ctx),
      };
    }),
  );
  const ordered = Object.fromEntries(config.order.map((n) => [n, environments[n] as EnvStatus]));
  if (ctx.opts.json) ctx.log.result(JSON.stringify({ environments: ordered }, null, 2));
  else ctx.io.stdout.write(table(ordered, pc.createColors(colorEnabled(ctx.io, 'stdout'))));
  // Every env is shown; then the exit code says some did not render (the first error, the others listed).
  const broken = Object.entries(ordered).filter(([, s]) => s.error);
  const first = broken[0] && rendered.get(broken[0][0]);
  if (first && 'failure' in first) {
    const e = first.failure;
    throw new GitopsError({
      code: e.code,
      message: broken.length > 1 ? `${e.message} (and ${broken.length - 1} more env(s) do not render)` : e.message,
      remediation: e.remediation,
      value: e.value,
      exitCode: e.exitCode,
      details: [...broken.slice(1).map(([n, s]) => `${n}: ${s.error?.code}: ${s.error?.message}`), ...e.details],
      resultPrinted: true,
    });
  }
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
    const images = Object.entries(s.images).map(([n, ref]): [string, string] => {
      const src = s.sources[n];
      return [
        n,
        src && src.kind !== 'images' ? `${ref}  (${src.kind}: ${src.file}${src.line ? `:${src.line}` : ''})` : ref,
      ];
    });
    if (s.error) images.push(['ERROR', `${s.error.code}: ${s.error.message.split('\n')[0]}`]);
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
    if (cell.trimStart().startsWith('drift:') || cell.startsWith('ERROR')) return c.red(cell);
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
