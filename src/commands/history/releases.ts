/**
 * The release record, read from git: every first-parent commit that changed a file an env's render
 * reads, as one entry per env (a shared base's change is a release of every env built on it), with the
 * images that env's render runs before and after. A merge is shown as the branch commit it brought in.
 */
import { type GitContext, git } from '../../adapters/git.js';
import { COMMIT_FORMAT, type LogCommit, parseCommit } from '../../adapters/git-log-parse.js';
import { walkReleases } from '../../adapters/release-walk.js';
import type { ResolvedConfig } from '../../core/config.js';
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

/** Releases newest first, optionally for one env, since a time, at most `limit`. */
export async function readReleases(
  config: ResolvedConfig,
  g: GitContext,
  o: { env?: string; since?: string; limit?: number; rev?: string },
): Promise<Release[]> {
  const envs = [...config.environments.values()].filter((e) => !o.env || e.name === o.env);
  const walked = await walkReleases(
    { envs, rev: o.rev ?? 'HEAD', ...(o.since && { since: o.since }), ...(o.limit && { limit: o.limit }) },
    g,
    { env: g.env, log: g.log },
  );
  const merged = await branchTips(
    walked.flatMap((w) => (w.log.parents.length > 1 ? [w.log.parents[1] as string] : [])),
    g,
  );
  return walked.map((w) => {
    const c = (w.log.parents.length > 1 && merged.get(w.log.parents[1] as string)) || w.log;
    const t = parseTrailers(c.trailers);
    const source: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.upstream ?? {})) if (v) source[k] = v;
    if (t.fromEnv) source.fromEnv = t.fromEnv;
    if (t.fromCommit) source.fromCommit = t.fromCommit;
    return {
      commit: c.commit,
      time: c.time,
      env: w.env,
      action: t.env === w.env && t.action ? t.action : c.subject.startsWith('Revert "') ? 'revert' : 'manual',
      images: w.images,
      previousImages: w.previousImages,
      subject: c.subject,
      author: c.author,
      source,
    };
  });
}

/** The commits merged in (second parents), with their messages: one `git show` for all of them. */
async function branchTips(shas: string[], g: GitContext): Promise<Map<string, LogCommit>> {
  const out = new Map<string, LogCommit>();
  if (shas.length === 0) return out;
  const r = await git(['show', '-s', `--format=${COMMIT_FORMAT}`, ...new Set(shas)], g, { allowFailure: true });
  for (const record of r.stdout.split('\x1e').slice(1)) {
    const c = parseCommit(record);
    out.set(c.commit, c);
  }
  return out;
}
