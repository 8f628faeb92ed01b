/**
 * `restore-last-good`: after a later step failed, re-apply the render that was live before this run
 * deployed, and verify it. It runs last in a release (if: failure()); once the push landed, git has
 * the release and the cluster stays with it.
 */
import { GitopsError } from '../core/errors.js';
import { restoreLastGood as restore, restoreReason } from './deploy/release.js';
import type { Step } from './types.js';

export const restoreLastGood: Step = {
  name: 'restore-last-good',
  summary: 'after a later step failed, re-apply the render that was live before this run deployed, and verify it',
  inputs: {},
  outputs: { restored: "'true' when something was re-applied", ref: 'the commit re-applied' },
  async run(rc, state) {
    if (!rc.deployed.applied || rc.result.pushed) return 'skipped';
    const lines = await restore(rc.deployed.applied, restoreReason(state.error), rc.cmd);
    if (state.error instanceof GitopsError) state.error.details.push(...lines);
    rc.result.deployed = false;
    return 'succeeded';
  },
  async use(p, _w, state) {
    const applied = p.lastApplied;
    if (!applied) return 'skipped';
    const lines = await restore(applied, restoreReason(state.error), p.cmd);
    if (state.error instanceof GitopsError) state.error.details.push(...lines);
    for (const l of lines) p.cmd.log.info(`  ${l}`);
    const ref = applied.lastGood?.ref ?? '';
    p.lastApplied = undefined;
    return { result: ref ? 'succeeded' : 'skipped', outputs: { restored: String(Boolean(ref)), ref } };
  },
};
