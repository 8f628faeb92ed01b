/**
 * `diff --env <e> [--from <ref>] [--to <ref>] [--cluster]`: what changes between two states of an
 * env — images first, then the unified diff of the renders — or between a render and the live cluster.
 */

import { type GitContext, gitContext, resolveRef, revParse, showFile } from '../../adapters/git.js';
import { unifiedDiff } from '../../adapters/git-history.js';
import { kubectl } from '../../adapters/kubectl.js';
import { walkReleases } from '../../adapters/release-walk.js';
import { repoDir } from '../../adapters/repo.js';
import { type Environment, getEnvironment } from '../../core/config.js';
import { failed } from '../../core/errors.js';
import { containerImages } from '../../core/image-transform.js';
import type { CommandContext } from '../../core/io.js';
import { KUSTOMIZATION_FILES, type KustomizeImage, parseKustomization, readImages } from '../../core/kustomization.js';
import { fromRender, imageReferences } from '../../core/rendered-images.js';
import { parseManifest } from '../../core/workloads.js';
import { loadConfig } from '../../steps/config.js';
import { listPrune } from '../../steps/deploy/prune-step.js';
import { renderEnv, renderPath, resolveTarget, writeRender } from '../../steps/deploy/release.js';

export interface DiffOptions {
  repoDir?: string;
  env: string;
  from?: string;
  to?: string;
  cluster?: boolean;
}

export interface DiffResult {
  env: string;
  from: string;
  to: string;
  images: Record<string, { from: string | null; to: string | null }>;
  changed: boolean;
  diff: string;
}

export async function diff(o: DiffOptions, ctx: CommandContext): Promise<DiffResult> {
  const root = repoDir(ctx, o.repoDir);
  const config = await loadConfig(root);
  const env = getEnvironment(config, o.env);
  const g = gitContext(ctx, root);
  const to = await resolveRef(o.to ?? 'HEAD', g);
  const toManifest = await renderEnv({ root, env, ref: to }, ctx);
  let result: DiffResult;
  if (o.cluster) {
    const file = renderPath(root, env.name);
    await writeRender(file, toManifest);
    const target = await resolveTarget(env, ctx, root);
    const r = await kubectl(
      ['diff', '--server-side', '--field-manager=gitops-flow', '--force-conflicts', '-f', file],
      target,
      { env: ctx.io.env, log: ctx.log, cwd: root },
      { allowFailure: true },
    );
    if (r.exitCode > 1)
      throw failed(
        'CLUSTER_DIFF_FAILED',
        `kubectl diff against ${target.context ?? 'the current context'} failed.`,
        'Check the cluster is reachable (gitops-flow doctor).',
        r.stderr.trim().split('\n').slice(-8),
      );
    result = { env: env.name, from: 'cluster', to, images: {}, changed: r.exitCode === 1, diff: r.stdout };
    // kubectl diff shows changes to objects of the render; what a deploy would prune is ours to say.
    await listPrune(parseManifest(toManifest), env, target, ctx);
  } else {
    const from = o.from ? await resolveRef(o.from, g) : await previousState(env, to, g);
    const fromManifest = await renderEnv({ root, env, ref: from }, ctx);
    // The images each render runs (whatever sets them), keyed by the name --image takes.
    const [imagesA, imagesB] = await Promise.all([
      imagesOf(fromManifest, from, env, g),
      imagesOf(toManifest, to, env, g),
    ]);
    const images: DiffResult['images'] = {};
    for (const name of new Set([...Object.keys(imagesA), ...Object.keys(imagesB)])) {
      if (imagesA[name] !== imagesB[name]) images[name] = { from: imagesA[name] ?? null, to: imagesB[name] ?? null };
    }
    const text = await unifiedDiff(
      fromManifest,
      toManifest,
      { a: `${env.name}@${from.slice(0, 12)}`, b: `${env.name}@${to.slice(0, 12)}` },
      { env: ctx.io.env, log: ctx.log },
    );
    result = { env: env.name, from, to, images, changed: text !== '', diff: text };
  }
  if (ctx.opts.json) ctx.log.result(JSON.stringify(result, null, 2));
  else {
    const lines = Object.entries(result.images).map(([n, v]) => `  ${n}: ${v.from ?? '∅'} → ${v.to ?? '∅'}`);
    if (lines.length) ctx.io.stdout.write(`Images:\n${lines.join('\n')}\n\n`);
    ctx.io.stdout.write(result.diff);
    if (!result.changed)
      ctx.log.info(
        `No difference between ${result.from === 'cluster' ? 'the cluster' : result.from.slice(0, 12)} and ${to.slice(0, 12)} for ${env.name}.`,
      );
  }
  return result;
}

/** The env's state before its last release at or before `ref` (a change to anything its render reads). */
async function previousState(env: Environment, ref: string, g: GitContext): Promise<string> {
  const [last] = await walkReleases({ envs: [env], rev: ref, limit: 1 }, g, { env: g.env, log: g.log });
  const commit = last?.log.commit;
  return (commit && (await revParse(`${commit}^`, g))) || ref;
}

/** The images a rendered manifest runs, keyed by the overlay's entries at `ref`. */
async function imagesOf(
  manifest: string,
  ref: string,
  env: Environment,
  g: GitContext,
): Promise<Record<string, string>> {
  let entries: KustomizeImage[] = [];
  for (const name of KUSTOMIZATION_FILES) {
    const text = await showFile(ref, `${env.overlay.replace(/\/+$/, '')}/${name}`, g);
    if (text === undefined) continue;
    try {
      entries = readImages(parseKustomization(text, name), name);
    } catch {
      // The render succeeded; an unreadable images: list only loses the names.
    }
    break;
  }
  return imageReferences(fromRender(containerImages(parseManifest(manifest)), entries));
}
