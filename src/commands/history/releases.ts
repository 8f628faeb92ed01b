/** The release record, read from git: every commit that changed an overlay, as one entry per env. */
import { posix } from 'node:path';
import type { GitContext } from '../../adapters/git.js';
import { compactPathspecs, logWithFiles, readBlobEntries } from '../../adapters/git-history.js';
import type { ResolvedConfig } from '../../core/config.js';
import { imagesOfText } from '../../core/images-scan.js';
import { imageMap } from '../../core/kustomization.js';
import { type Action, parseTrailers } from '../../core/trailers.js';

export interface Release {
  commit: string;
  time: string;
  env: string;
  action: Action;
  images: Record<string, string>;
  previousImages: Record<string, string>;
  subject: string;
  author: string;
  source: Record<string, string>;
}

const KUSTOMIZATION = 'kustomization.yaml';

/** Releases newest first, optionally for one env, since a time, at most `limit`. */
export async function readReleases(
  config: ResolvedConfig,
  g: GitContext,
  o: { env?: string; since?: string; limit?: number; rev?: string },
): Promise<Release[]> {
  const envs = [...config.environments.values()].filter((e) => !o.env || e.name === o.env);
  const log = await logWithFiles(
    {
      format: '%x1e%H%x00%cI%x00%P%x00%an%x00%s%x00%(trailers:unfold,only,separator=%x1f)%x00',
      rev: o.rev ?? 'HEAD',
      ...(o.since && { since: o.since }),
      paths: compactPathspecs(envs.map((e) => e.overlay)),
    },
    g,
  );
  if (log === undefined) return [];
  const pending: { base: Omit<Release, 'images' | 'previousImages'>; file: string; hasParent: boolean }[] = [];
  for (const record of log.split('\x1e').slice(1)) {
    const [commit, time, parents, author, subject, trailerText, files] = record.split('\x00') as string[];
    const changed = (files ?? '').split('\n').filter(Boolean);
    const t = parseTrailers((trailerText ?? '').split('\x1f'));
    for (const env of envs) {
      const prefix = `${posix.normalize(env.overlay)}/`;
      if (!changed.some((f) => f.startsWith(prefix))) continue;
      const source: Record<string, string> = {};
      for (const [k, v] of Object.entries(t.upstream ?? {})) if (v) source[k] = v;
      if (t.fromEnv) source.fromEnv = t.fromEnv;
      if (t.fromCommit) source.fromCommit = t.fromCommit;
      pending.push({
        base: {
          commit: commit as string,
          time: time as string,
          env: env.name,
          action: t.env === env.name && t.action ? t.action : subject?.startsWith('Revert "') ? 'revert' : 'manual',
          subject: subject ?? '',
          author: author ?? '',
          source,
        },
        file: `${prefix}${KUSTOMIZATION}`,
        hasParent: (parents ?? '').trim() !== '',
      });
      if (o.limit && pending.length >= o.limit) break;
    }
    if (o.limit && pending.length >= o.limit) break;
  }
  const blobs = await readBlobEntries(
    pending.flatMap((p) => [
      `${p.base.commit}:${p.file}`,
      p.hasParent ? `${p.base.commit}^:${p.file}` : `${p.base.commit}:/dev/null`,
    ]),
    g,
  );
  const cache = new Map<string, Record<string, string>>();
  return pending.map((p, i) => {
    const after = imagesOf(blobs[2 * i], cache);
    const before = imagesOf(blobs[2 * i + 1], cache);
    // The images this release changed (all of them for an env's first commit), before and after.
    const changed = Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]);
    return {
      ...p.base,
      images: Object.fromEntries(changed.filter((k) => k in after).map((k) => [k, after[k] as string])),
      previousImages: Object.fromEntries(changed.filter((k) => k in before).map((k) => [k, before[k] as string])),
    };
  });
}

/** The images of an overlay blob; parsed once per distinct content (a parent is its child's previous). */
function imagesOf(
  blob: { id: string; text: string } | undefined,
  cache: Map<string, Record<string, string>>,
): Record<string, string> {
  if (blob === undefined) return {};
  let images = cache.get(blob.id);
  if (!images) {
    try {
      images = imageMap(imagesOfText(blob.text, KUSTOMIZATION));
    } catch {
      images = {};
    }
    cache.set(blob.id, images);
  }
  return images;
}
