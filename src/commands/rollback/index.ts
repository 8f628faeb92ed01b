/**
 * `rollback --env <e> [--to <ref>]`: put the env's overlay back to its previous release (or `--to`) as
 * a new commit, deploy, verify, push — and pin the env so automated updates do not undo it. The
 * rollback release of src/steps/rollback.ts.
 */
import { repoDir } from '../../adapters/repo.js';
import type { CommandContext } from '../../core/io.js';
import { STEPS } from '../../steps/registry.js';
import { type RollbackResult, rollbackRelease } from '../../steps/rollback.js';

export interface RollbackOptions {
  repoDir?: string;
  env: string;
  to?: string;
  deploy?: boolean;
  push?: boolean;
  timeout?: string;
  reason?: string;
  /** Also change files other environments read. */
  includeShared?: boolean;
}

export async function rollback(o: RollbackOptions, ctx: CommandContext): Promise<RollbackResult> {
  const { repoDir: dir, ...options } = o;
  const out = await rollbackRelease({ ...options, root: repoDir(ctx, dir) }, ctx, STEPS);
  if (ctx.opts.json) ctx.log.result(JSON.stringify(out, null, 2));
  return out;
}
