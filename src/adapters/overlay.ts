/** Reading and editing an environment's overlay in a working tree. */
import { relative } from 'node:path';
import { MAX_YAML_BYTES } from '../core/bounds.js';
import type { Environment } from '../core/config.js';
import { GitopsError, inEnv } from '../core/errors.js';
import { type KustomizeImage, parseKustomization, readImages } from '../core/kustomization.js';
import { editImages } from '../core/kustomization-edit.js';
import { kustomizationFile, readRepoFile, writeFileAtomic } from './repo.js';

/** The overlay's kustomization file: absolute path and path relative to the repo root. */
export function overlayFile(root: string, env: Environment): { abs: string; rel: string } {
  const abs = kustomizationFile(root, env.overlay, env.name);
  return { abs, rel: relative(root, abs) };
}

/** The text of the env's kustomization file (confined, size-capped). */
export async function readOverlayText(root: string, env: Environment): Promise<string> {
  const { rel } = overlayFile(root, env);
  return (await readRepoFile(root, rel, `kustomization of ${env.name}`, MAX_YAML_BYTES, 'KUSTOMIZATION_INVALID')) ?? '';
}

/** The `images:` entries of the env's overlay in the working tree. */
export async function readOverlayImages(root: string, env: Environment): Promise<KustomizeImage[]> {
  return named(env, async () => {
    const { rel } = overlayFile(root, env);
    return readImages(parseKustomization(await readOverlayText(root, env), rel), rel);
  });
}

/** Errors about the kustomization name the env too. */
async function named<T>(env: Environment, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw e instanceof GitopsError ? inEnv(e, env.name) : e;
  }
}

/** The env's overlay with the images set like `kustomize edit set image` (nothing written yet). */
export async function editOverlayImages(
  root: string,
  env: Environment,
  images: KustomizeImage[],
): Promise<{ rel: string; abs: string; changed: boolean; text: string }> {
  const { abs, rel } = overlayFile(root, env);
  const edit = await named(env, async () => editImages(await readOverlayText(root, env), rel, images));
  return { rel, abs, changed: edit.changed, text: edit.text };
}

/** Writes an edited overlay atomically (`abs` from overlayFile: confined). */
export async function writeOverlayText(abs: string, text: string): Promise<void> {
  await writeFileAtomic(abs, text);
}
