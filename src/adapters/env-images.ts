/**
 * The images an environment runs, from its render. kustomize runs once per distinct *pre-render*: the
 * overlay without the fields that cannot change which image a container gets (its own `images:`,
 * namespace, name prefix/suffix, labels, annotations, replicas) over exactly the files it reads. The
 * overlay's `images:` are then applied by the model of kustomize's transformer (core/image-transform),
 * so a thousand releases that only bump tags cost one render. Pre-renders are cached by the git blob
 * ids of their inputs, in memory and under the user's cache directory. An overlay whose own fields act
 * after `images:` (replacements, transformers, vars, configurations) is rendered whole instead.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import type { BuildOptions } from '../core/config.js';
import { failed, GitopsError, inEnv, invalid, quote } from '../core/errors.js';
import { type ContainerImage, containerImages } from '../core/image-transform.js';
import type { Logger } from '../core/io.js';
import { type KustomizeImage, parseKustomization } from '../core/kustomization.js';
import { type Dependencies, dependencies, type TreeReader } from '../core/kustomize-deps.js';
import { type OverlayScan, preRenderText, scanOverlay } from '../core/overlay-text.js';
import { renderFailureHint } from '../core/render-hints.js';
import {
  attachSources,
  fromPreRender,
  fromRender,
  type ImageSource,
  imageReferences,
  type RenderedImage,
} from '../core/rendered-images.js';
import { parseManifest } from '../core/workloads.js';
import { ExecError } from './exec-error.js';
import { build } from './kustomize.js';
import { checkRenderInputs } from './render-inputs.js';
import { hashBlob, type Tree, worktree } from './trees.js';

const VERSION = 2;

export interface EnvImages {
  images: RenderedImage[];
  deps: Dependencies;
  /** `model`: one shared pre-render and the overlay's images; `render`: the overlay rendered whole. */
  method: 'model' | 'render';
  /** The overlay's own `images:` entries. */
  entries: KustomizeImage[];
}

export interface EnvImagesInput {
  tree: Tree;
  overlay: string;
  envName: string;
  build?: BuildOptions;
  /** Remote resources the env allows (security: anything else is refused before kustomize runs). */
  remoteResources?: string[];
  /** Also find where each image is set. */
  sources?: boolean;
}

export interface ImagesContext {
  env: NodeJS.ProcessEnv;
  log: Logger;
}

const memory = new Map<string, Promise<ContainerImage[]>>();

/** The images `overlay` renders with, read from `tree`; `sources` also finds where each is set. */
export async function envImages(p: EnvImagesInput, ctx: ImagesContext): Promise<EnvImages> {
  try {
    return await imagesOf(p, ctx);
  } catch (e) {
    throw e instanceof GitopsError ? inEnv(e, p.envName) : e;
  }
}

async function imagesOf(p: EnvImagesInput, ctx: ImagesContext): Promise<EnvImages> {
  const deps = await dependencies(p.tree, p.overlay);
  const overlay = deps.kustomizations[0];
  if (!overlay) {
    throw invalid(
      'OVERLAY_MISSING',
      `Environment ${quote(p.envName)} has no kustomization in ${quote(p.overlay)}.`,
      'Create kustomization.yaml in the overlay, or fix the overlay path in gitops-flow.yaml.',
      p.overlay,
    );
  }
  const scan = scanOverlay(overlay.text, overlay.file);
  const inputs: [string, string][] = [];
  for (const f of deps.files) if (f !== overlay.file) inputs.push([f, (await p.tree.blobId(f)) ?? '-']);
  const key = renderKey({ overlayFile: overlay.file, overlayText: overlay.text, scan, inputs, build: p.build });
  const containers = await containersFor(key, ctx, () =>
    renderContainers(p.tree, deps.files, overlay.file, renderText(overlay.text, overlay.file, scan), p, ctx),
  );
  const images = scan.unmodelled ? fromRender(containers, scan.entries) : fromPreRender(containers, scan.entries);
  if (p.sources) await attachSources(images, deps, p.tree);
  return { images, deps, method: scan.unmodelled ? 'render' : 'model', entries: scan.entries };
}

/** The kustomization kustomize renders for the key: the pre-render's, or the overlay itself. */
export function renderText(text: string, file: string, scan: OverlayScan): string {
  return scan.unmodelled
    ? text
    : preRenderText((parseKustomization(text, file).toJS() ?? {}) as Record<string, unknown>);
}

/**
 * A key over what the render reads: the overlay's pre-render identity (its whole text when it is
 * rendered whole), the other inputs by path relative to the overlay (siblings share) and git blob id.
 */
export function renderKey(p: {
  overlayFile: string;
  overlayText?: string;
  scan: OverlayScan;
  inputs: [string, string][];
  build?: BuildOptions;
}): string {
  const dir = posix.dirname(p.overlayFile);
  const identity = p.scan.unmodelled ? `whole:${hashBlob(p.overlayText ?? '')}` : p.scan.preHash;
  const material = JSON.stringify({
    v: VERSION,
    file: posix.basename(p.overlayFile),
    identity,
    inputs: p.inputs.map(([f, id]) => [posix.relative(dir, f), id]).sort(),
    options: p.build ?? {},
  });
  return createHash('sha256').update(material).digest('hex');
}

/** The containers of the render with this key: from memory, the disk cache, or `render`. */
export function containersFor(
  key: string,
  ctx: ImagesContext,
  render: () => Promise<ContainerImage[]>,
): Promise<ContainerImage[]> {
  let pending = memory.get(key);
  if (!pending) {
    pending = cached(key, ctx.env, render);
    memory.set(key, pending);
    pending.catch(() => memory.delete(key));
  }
  return pending;
}

/** The images a render with these containers and overlay entries runs. */
export function imagesFrom(containers: ContainerImage[], scan: OverlayScan): RenderedImage[] {
  return scan.unmodelled ? fromRender(containers, scan.entries) : fromPreRender(containers, scan.entries);
}

/** The on-disk cache: ${GITOPS_FLOW_CACHE:-~/.cache/gitops-flow}/renders (none without a home). */
function cacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const root = env.GITOPS_FLOW_CACHE ?? (env.HOME ? join(env.HOME, '.cache', 'gitops-flow') : undefined);
  return root ? join(root, 'renders') : undefined;
}

async function cached(
  key: string,
  env: NodeJS.ProcessEnv,
  compute: () => Promise<ContainerImage[]>,
): Promise<ContainerImage[]> {
  const dir = cacheDir(env);
  const file = dir ? join(dir, key.slice(0, 2), `${key}.json`) : undefined;
  if (file) {
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { containers?: ContainerImage[] };
      if (Array.isArray(parsed.containers)) return parsed.containers;
    } catch {
      // Not cached yet (or unreadable): render.
    }
  }
  const containers = await compute();
  if (file) {
    try {
      await mkdir(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ containers }));
      await rename(tmp, file);
    } catch {
      // A cache that cannot be written only costs the next run a render.
    }
  }
  return containers;
}

/** Writes the files the render reads (the overlay as `text`) into a scratch dir and builds it. */
export async function renderContainers(
  tree: TreeReader,
  files: string[],
  overlayFile: string,
  text: string,
  p: { overlay: string; envName: string; build?: BuildOptions; remoteResources?: string[] },
  ctx: ImagesContext,
): Promise<ContainerImage[]> {
  const tmp = await mkdtemp(join(tmpdir(), 'gitops-flow-images-'));
  try {
    const write = async (files: string[]) => {
      for (const f of files) {
        const content = f === overlayFile ? text : await tree.read(f);
        if (content === undefined) continue;
        await mkdir(dirname(join(tmp, f)), { recursive: true });
        await writeFile(join(tmp, f), content);
      }
    };
    await write(files);
    // The same rule as every render: nothing outside the tree, no remote resource the env did not allow.
    await checkRenderInputs(tmp, p.overlay, p.remoteResources);
    const dir = join(tmp, posix.normalize(p.overlay));
    let out: string;
    try {
      out = await build(dir, { env: ctx.env, log: ctx.log }, p.build);
    } catch (e) {
      if (!(e instanceof ExecError)) throw e;
      // A file our walk did not know kustomize reads: render over the whole tree once more.
      ctx.log.debug(`render of ${p.envName} over its known inputs failed; retrying over the whole tree`);
      await write((await tree.list('.')).filter((f) => !files.includes(f)));
      try {
        out = await build(dir, { env: ctx.env, log: ctx.log }, p.build);
      } catch (again) {
        if (!(again instanceof ExecError)) throw again;
        throw renderFailed(p.envName, p.overlay, again);
      }
    }
    return containerImages(parseManifest(out));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

function renderFailed(env: string, overlay: string, e: ExecError): GitopsError {
  const lines = e.stderr.trim().split('\n').slice(-10);
  return failed(
    'RENDER_FAILED',
    `kustomize build of ${quote(overlay)} failed: ${lines.at(-1) ?? ''} (env ${env})`,
    renderFailureHint(e.stderr, env),
    lines,
    e,
  );
}

/**
 * The envs (of `envs`) whose render reads any of `files` in `tree`, each with the files it reads: the
 * environments a change to those files also changes. An env that cannot be walked is left out (its
 * own commands report it).
 */
export async function envsReading(
  tree: Tree,
  envs: { name: string; overlay: string }[],
  files: string[],
): Promise<{ env: string; files: string[] }[]> {
  const out: { env: string; files: string[] }[] = [];
  for (const e of envs) {
    try {
      const read = new Set((await dependencies(tree, e.overlay)).files);
      const hit = files.filter((f) => read.has(f));
      if (hit.length > 0) out.push({ env: e.name, files: hit });
    } catch {
      // Not walkable here: not listed.
    }
  }
  return out;
}

/** The images an env's render runs in `tree`, with where each is set (for checks and reports). */
export async function renderedImagesIn(
  tree: Tree,
  env: { name: string; overlay: string; build?: BuildOptions; remoteResources?: string[] },
  ctx: ImagesContext,
): Promise<{
  images: Record<string, string>;
  sources: Record<string, ImageSource | undefined>;
  entries: KustomizeImage[];
}> {
  const r = await envImages(
    {
      tree,
      overlay: env.overlay,
      envName: env.name,
      build: env.build,
      remoteResources: env.remoteResources,
      sources: true,
    },
    ctx,
  );
  return {
    images: imageReferences(r.images),
    sources: Object.fromEntries(r.images.map((i) => [i.name, i.source])),
    entries: r.entries,
  };
}

/** The same, in a working tree. */
export function worktreeImages(
  root: string,
  env: { name: string; overlay: string; build?: BuildOptions; remoteResources?: string[] },
  ctx: ImagesContext,
) {
  return renderedImagesIn(worktree(root), env, ctx);
}
