/**
 * What a promotion sets, from the images the two renders run: each source image the target's render
 * also uses and runs differently becomes an `images:` entry of the target, with the source's tag and
 * digest. The target keeps its own registry (the newName prefix) when gitops-flow.yaml gives both envs
 * a registry, or when the target's entry names a different newName (a per-env mirror); each such choice
 * is said. And the check after an edit: every image set must be one the render runs, as set.
 */
import { invalid, quote } from './errors.js';
import { splitImage } from './image-transform.js';
import type { KustomizeImage } from './kustomization.js';
import type { ImageSource } from './rendered-images.js';

export interface PromotionPlan {
  /** The entries to set: the images the target runs differently. */
  args: KustomizeImage[];
  /** Every promoted image (changed or already there) as the target will run it. */
  images: Record<string, string>;
  /** One line per image whose target registry was kept. */
  kept: string[];
  /** Source images left alone, and why. */
  skipped: { name: string; reason: string }[];
}

export function planPromotion(p: {
  from: { name: string; registry?: string; images: Record<string, string> };
  to: { name: string; registry?: string; images: Record<string, string>; entries: KustomizeImage[] };
}): PromotionPlan {
  const out: PromotionPlan = { args: [], images: {}, kept: [], skipped: [] };
  for (const [name, reference] of Object.entries(p.from.images)) {
    const now = p.to.images[name];
    if (now === undefined) {
      out.skipped.push({ name, reason: `no workload of ${p.to.name}'s render runs it` });
      continue;
    }
    const { name: repo, tag, digest } = splitImage(reference);
    if (tag === undefined && digest === undefined) {
      // A promotion copies a tag and a digest: an image the source runs bare (a base's placeholder
      // name no env has set yet) has neither, and copying it would only drop the target's tag.
      out.skipped.push({ name, reason: `${p.from.name} runs ${reference} with no tag or digest to copy` });
      continue;
    }
    const there = splitImage(now).name;
    let newName = repo;
    if (p.from.registry && p.to.registry && repo.startsWith(`${p.from.registry}/`)) {
      newName = `${p.to.registry}${repo.slice(p.from.registry.length)}`;
      if (newName !== repo)
        out.kept.push(`${name}: ${newName} (${p.to.name}'s registry ${p.to.registry}, from gitops-flow.yaml)`);
    } else if (repo === name) {
      // The source runs the image under its own name: it says nothing about where to pull from, so
      // the target pulls from where it does now (its entry's newName, a base's or a component's).
      newName = there;
      if (there !== repo)
        out.kept.push(`${name}: kept ${p.to.name}'s ${there} (${p.from.name} does not rename ${name})`);
    } else {
      const entry = p.to.entries.find((e) => e.name === name);
      if (entry?.newName && entry.newName !== repo) {
        newName = entry.newName;
        out.kept.push(`${name}: kept ${p.to.name}'s newName ${newName} (${p.from.name} pulls from ${repo})`);
      }
    }
    const wanted = `${newName}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
    out.images[name] = wanted;
    if (wanted === now) continue;
    out.args.push({
      name,
      ...(newName !== name && { newName }),
      ...(tag && { newTag: tag }),
      ...(digest && { digest }),
    });
  }
  if (Object.keys(out.images).length === 0)
    throw invalid(
      'NOTHING_TO_PROMOTE',
      `${p.from.name} has no image to promote to ${p.to.name}: ${out.skipped.map((s) => `${s.name} (${s.reason})`).join(', ') || 'its render runs none'}.`,
      `Set images in ${p.from.name} first (suggest, or kustomize edit set image).`,
      p.from.name,
      out.skipped.map((s) => `${s.name}: ${s.reason}`),
    );
  return out;
}

/** The promoted images as entries (for the checks that read entries, such as requireDigest). */
export function promotedEntries(images: Record<string, string>): KustomizeImage[] {
  return Object.entries(images).map(([name, reference]) => {
    const { name: newName, tag, digest } = splitImage(reference);
    return { name, newName, ...(tag !== undefined && { newTag: tag }), ...(digest !== undefined && { digest }) };
  });
}

/**
 * After an edit: each entry set must name an image the env's render runs, and the render must run it as
 * set (a replacement acting after `images:` would undo it). Exit 2 otherwise, naming the render's images.
 */
export function checkImagesUsed(p: {
  env: string;
  set: KustomizeImage[];
  images: Record<string, string>;
  sources: Record<string, ImageSource | undefined>;
  verb: 'suggest' | 'promote';
}): void {
  const problems: string[] = [];
  for (const entry of p.set) {
    const now = p.images[entry.name];
    if (now === undefined) {
      problems.push(`${entry.name}: no workload of ${p.env}'s render runs an image named ${quote(entry.name)}`);
      continue;
    }
    const { name, tag, digest } = splitImage(now);
    const ok =
      (entry.newName === undefined || entry.newName === name) &&
      (entry.newTag === undefined || entry.newTag === tag) &&
      (entry.digest === undefined || entry.digest === digest);
    if (!ok) {
      const src = p.sources[entry.name];
      problems.push(
        `${entry.name}: the render still runs ${now}${src ? ` (set by the ${src.kind} in ${src.file}${src.line ? `:${src.line}` : ''}, after images:)` : ''}`,
      );
    }
  }
  if (problems.length === 0) return;
  const have = Object.entries(p.images).map(([n, r]) => `${n} (${r})`);
  throw invalid(
    'IMAGE_NOT_IN_RENDER',
    `${p.verb} would set ${problems.length === 1 ? 'an image' : 'images'} ${p.env}'s render does not run as set: ${problems.map((x) => x.split(':')[0]).join(', ')}.`,
    `Use a name the render runs — ${have.length ? have.join(', ') : 'it runs no images'} — or pass --allow-unused to set it anyway.`,
    p.set.map((e) => e.name).join(','),
    problems,
  );
}
