/**
 * Verification records: what a successful deploy verified (env, commit, images, time, pipeline), as
 * JSON lines in git notes under refs/notes/gitops-flow-verified — in git, pushed beside the branch,
 * without rewriting history.
 */
import { imageMap, type KustomizeImage } from '../core/kustomization.js';
import { type GitContext, git } from './git.js';
import { readBlobs } from './git-history.js';

export const NOTES_REF = 'refs/notes/gitops-flow-verified';
const REMOTE_NOTES_REF = 'refs/notes/gitops-flow-verified-remote';
const PUSH_ATTEMPTS = 5;

export interface Verification {
  env: string;
  commit: string;
  /** The overlay's image entries, as promote copies them. */
  entries: KustomizeImage[];
  images: Record<string, string>;
  time: string;
  pipeline?: string;
  pipelineUrl?: string;
}

/** A verification for `env` at `commit` now, with the CI pipeline when known. */
export function verification(
  env: string,
  commit: string,
  entries: KustomizeImage[],
  e: NodeJS.ProcessEnv,
  now = new Date(),
): Verification {
  return {
    env,
    commit,
    entries,
    images: imageMap(entries),
    time: now.toISOString(),
    ...(e.CI_PIPELINE_ID && { pipeline: e.CI_PIPELINE_ID }),
    ...(e.CI_PIPELINE_URL && { pipelineUrl: e.CI_PIPELINE_URL }),
  };
}

/** Appends the record to the commit's note (locally). */
export async function recordVerified(v: Verification, g: GitContext): Promise<void> {
  await git(['notes', `--ref=${NOTES_REF}`, 'append', '-F', '-', v.commit], g, {
    mutates: true,
    input: `${JSON.stringify(v)}\n`,
  });
}

/** Fetches the remote's records and merges them into ours (records are lines: union, sorted). */
export async function fetchVerified(g: GitContext): Promise<void> {
  const r = await git(
    ['fetch', '--quiet', 'origin', `+${NOTES_REF}:${REMOTE_NOTES_REF}`],
    { ...g, dryRun: false },
    { allowFailure: true },
  );
  if (r.exitCode !== 0) return; // the remote has no records yet
  const local = await git(['rev-parse', '--verify', '--quiet', NOTES_REF], g, { allowFailure: true });
  if (local.exitCode !== 0) await git(['update-ref', NOTES_REF, REMOTE_NOTES_REF], { ...g, dryRun: false });
  else
    await git(['notes', `--ref=${NOTES_REF}`, 'merge', '--quiet', '-s', 'cat_sort_uniq', REMOTE_NOTES_REF], {
      ...g,
      dryRun: false,
    });
}

/** Pushes the records; when someone else pushed records first, merges theirs and retries. */
export async function pushVerified(g: GitContext): Promise<boolean> {
  for (let attempt = 1; attempt <= PUSH_ATTEMPTS; attempt++) {
    const r = await git(['push', '--quiet', 'origin', `${NOTES_REF}:${NOTES_REF}`], g, {
      mutates: true,
      allowFailure: true,
    });
    if (r.exitCode === 0) return true;
    await fetchVerified(g);
  }
  return false;
}

/** Every record, newest first (optionally for one env). */
export async function readVerified(g: GitContext, env?: string): Promise<Verification[]> {
  const list = await git(['notes', `--ref=${NOTES_REF}`, 'list'], g, { allowFailure: true });
  if (list.exitCode !== 0) return [];
  const blobs = list.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[0] as string);
  const texts = await readBlobs(blobs, g);
  const out: Verification[] = [];
  for (const text of texts) {
    for (const line of (text ?? '').split('\n')) {
      if (!line.trim().startsWith('{')) continue;
      try {
        const v = JSON.parse(line) as Verification;
        if (!env || v.env === env) out.push(v);
      } catch {
        // A hand-written note line that is not ours: ignore it.
      }
    }
  }
  return out.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
}
