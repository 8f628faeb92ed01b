/** A release context made for one run of a verb, and the result it reports. */
import { gitContext } from '../adapters/git.js';
import { DEFAULT_PIPELINES } from '../core/verb-pipelines.js';
import type { ReleaseContext, ReleaseResult, Step } from './types.js';

/** The release result without the suggest-only `landed`. */
export function resultOf(rc: ReleaseContext): ReleaseResult {
  const { changed, deployed, pushed, pushAttempts, commit } = rc.result;
  return { changed, deployed, pushed, pushAttempts, commit };
}

/** A fresh release context for `tree` (the steps fill in the rest). */
export function releaseContext(
  p: Omit<ReleaseContext, 'git' | 'change' | 'deployed' | 'result' | 'edits'> & { manifestPath: string },
): ReleaseContext {
  const { manifestPath, ...rest } = p;
  const listed = DEFAULT_PIPELINES[p.verb].steps.map((s) => p.steps.get(s.uses as string));
  return {
    ...rest,
    git: gitContext(p.cmd, p.tree),
    change: { paths: [], entries: [], images: {} },
    deployed: { manifestPath },
    result: { changed: false, deployed: false, pushed: false, pushAttempts: 0, commit: '' },
    edits: listed.filter((s): s is Step => Boolean(s?.edits)),
  };
}
