/**
 * `promote --from <a> --to <b>`: copy a's images (its last *verified* ones when b requires it) into
 * b's overlay, commit, deploy and verify b, then push — the promote release of src/steps/promote.ts.
 */
import { repoDir } from '../../adapters/repo.js';
import type { CommandContext } from '../../core/io.js';
import { type PromoteResult, promoteRelease } from '../../steps/promote.js';
import { STEPS } from '../../steps/registry.js';

export interface PromoteOptions {
  repoDir?: string;
  from: string;
  to: string;
  /** Only these image names (default: every image of the source overlay). */
  images?: string[];
  deploy?: boolean;
  push?: boolean;
  timeout?: string;
  /** Promote into a pinned env (and unpin it). */
  force?: boolean;
  /** Set images no workload of the target's render runs. */
  allowUnused?: boolean;
  /** Change the target overlay even when other envs' renders read it. */
  includeShared?: boolean;
  /** false (--no-fail-fast): wait to the deadline whatever the pods do. */
  failFast?: boolean;
  /** --json-events: the live report as JSON events on stderr. */
  jsonEvents?: boolean;
}

export async function promote(o: PromoteOptions, ctx: CommandContext): Promise<PromoteResult> {
  const { repoDir: dir, ...options } = o;
  const out = await promoteRelease({ ...options, root: repoDir(ctx, dir) }, ctx, STEPS);
  if (ctx.opts.json) ctx.log.result(JSON.stringify(out, null, 2));
  return out;
}
