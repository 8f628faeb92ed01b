/**
 * `diff --env <e> [--from <ref>] [--to <ref>] [--cluster]`: what changes between two states of an
 * env — images first, then the unified diff of the renders — or between a render and the live cluster.
 */

import { gitContext, resolveRef, revParse, showFile } from '../../adapters/git.js';
import { lastCommitTouching, unifiedDiff } from '../../adapters/git-history.js';
import { kubectl } from '../../adapters/kubectl.js';
import { overlayFile } from '../../adapters/overlay.js';
import { repoDir } from '../../adapters/repo.js';
import { getEnvironment } from '../../core/config.js';
import { failed } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { imageMap, parseKustomization, readImages } from '../../core/kustomization.js';
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
    const from = o.from ? await resolveRef(o.from, g) : await previousState(env.overlay, to, g);
    const fromManifest = await renderEnv({ root, env, ref: from }, ctx);
    const rel = overlayFile(root, env).rel;
    const [a, b] = await Promise.all([showFile(from, rel, g), showFile(to, rel, g)]);
    const imagesA = a === undefined ? {} : imageMap(readImages(parseKustomization(a, rel)));
    const imagesB = b === undefined ? {} : imageMap(readImages(parseKustomization(b, rel)));
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

/** The env's state before the last change of its overlay at or before `ref`. */
async function previousState(overlay: string, ref: string, g: ReturnType<typeof gitContext>): Promise<string> {
  const last = await lastCommitTouching(ref, overlay, g);
  return (last && (await revParse(`${last}^`, g))) || ref;
}
