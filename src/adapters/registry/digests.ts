/**
 * Digest pinning: `suggest --pin-digest` (or an env with `requireDigest: true`) resolves each image's tag
 * to its manifest digest and writes both `newTag` and `digest`; kustomize renders them as
 * `name:tag@sha256:…`, and the runtime pulls by the digest. Deploying an env that requires digests
 * refuses a render holding any image without one.
 */
import type { Environment } from '../../core/config.js';
import { invalid, quote } from '../../core/errors.js';
import { imageReference, type KustomizeImage, planImages } from '../../core/kustomization.js';
import { objectsOf, parseManifest } from '../../core/workloads.js';
import type { RegistryClient } from './oci.js';

/**
 * The `--image` arguments with `digest` set to what each tag resolves to now. `existing` are the
 * overlay's entries (a `*` tag keeps theirs). A digest given with the tag must match the registry's.
 */
export async function pinDigests(
  args: KustomizeImage[],
  existing: KustomizeImage[],
  client: RegistryClient,
): Promise<KustomizeImage[]> {
  const planned = planImages(existing, args);
  return Promise.all(
    args.map(async (arg) => {
      const entry = planned.find((p) => p.name === arg.name) as KustomizeImage;
      const name = entry.newName ?? entry.name;
      if (!entry.newTag) {
        if (entry.digest) return arg;
        throw invalid(
          'IMAGE_TAG_MISSING',
          `Cannot pin ${quote(arg.name)} by digest: it has no tag to resolve.`,
          `Give a tag: --image ${arg.name}=${name}:<tag> (or a digest: ${name}@sha256:…).`,
          arg.name,
        );
      }
      const digest = await client.resolveDigest(name, entry.newTag);
      if (arg.digest !== undefined && arg.digest !== '*' && arg.digest !== digest) {
        throw invalid(
          'DIGEST_MISMATCH',
          `${name}:${entry.newTag} is ${digest} in the registry, not the ${arg.digest} given.`,
          `The tag was moved or the digest is of another image: pass ${name}:${entry.newTag} without a digest to pin what the tag is now, or the tag the digest belongs to.`,
          arg.digest,
        );
      }
      return { ...arg, digest };
    }),
  );
}

/** An image a render runs, and where: `Deployment/web container app`. */
export interface RenderedImage {
  image: string;
  where: string;
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

/** Every container image in a rendered manifest (pod templates at any depth: Deployments, CronJobs, Pods…). */
export function renderedImages(manifest: string): RenderedImage[] {
  const objects = parseManifest(manifest);
  const refs = objectsOf(objects);
  const out: RenderedImage[] = [];
  objects.forEach((obj, i) => {
    const ref = refs[i];
    const owner = ref ? `${ref.kind}/${ref.name}` : 'an object';
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) {
        for (const n of node) walk(n);
        return;
      }
      if (node === null || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        if (CONTAINER_LISTS.includes(key) && Array.isArray(value)) {
          for (const c of value) {
            const { name, image } = (c ?? {}) as { name?: unknown; image?: unknown };
            if (typeof image === 'string') out.push({ image, where: `${owner} container ${String(name ?? '?')}` });
          }
        } else walk(value);
      }
    };
    walk(obj);
  });
  return out;
}

/** Throws DIGEST_REQUIRED (exit 2) when `env` requires digests and the render runs an image without one. */
export function requireDigests(env: Environment, manifest: string): void {
  if (!env.requireDigest) return;
  const unpinned = renderedImages(manifest).filter((i) => !/@sha256:[a-f0-9]{64}$/.test(i.image));
  if (unpinned.length === 0) return;
  const names = [...new Set(unpinned.map((i) => i.image))];
  throw invalid(
    'DIGEST_REQUIRED',
    `${env.name} requires images pinned by digest; its render runs ${names.length} image(s) without one: ${names.join(', ')}. Nothing was applied.`,
    `Pin them: gitops-flow suggest --pin-digest --env ${env.name} --image <name>=<image>:<tag> (or promote from an env whose overlay has digests, or set digest: in the images: of ${env.overlay}).`,
    names.join(', '),
    unpinned.map((i) => `${i.where}: ${i.image}`),
  );
}

/**
 * Throws DIGEST_REQUIRED when images promoted from `from` into `env` (which requires digests) set a tag
 * without a digest: the render would run them by tag. Caught before commit, even with --no-deploy.
 */
export function requireDigestEntries(env: Environment, entries: KustomizeImage[], from: string): void {
  if (!env.requireDigest) return;
  const unpinned = entries.filter((e) => e.newTag !== undefined && !e.digest);
  if (unpinned.length === 0) return;
  const refs = unpinned.map(imageReference);
  throw invalid(
    'DIGEST_REQUIRED',
    `${env.name} requires images pinned by digest; ${from} has ${refs.length} image(s) without one: ${refs.join(', ')}. Nothing was changed.`,
    `Pin them in ${from} first: gitops-flow suggest --pin-digest --env ${from} --image <name>=<image>:<tag>, deploy ${from}, then promote again.`,
    refs.join(', '),
    unpinned.map((e) => `${e.name}: ${imageReference(e)}`),
  );
}
