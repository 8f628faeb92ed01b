/** `git/sync`: fast-forwards the working copy to the remote target branch before the release edits it. */
import { fetch, type GitContext, isAncestor, mergeFastForward } from '../../adapters/git.js';
import { invalid } from '../../core/errors.js';
import type { Step } from '../types.js';

async function fastForward(branch: string, g: GitContext, fetched?: Promise<void>): Promise<void> {
  await (fetched ?? fetch({ remote: 'origin', branch }, g));
  const remote = `refs/remotes/origin/${branch}`;
  if (await isAncestor('HEAD', remote, g)) await mergeFastForward(remote, g);
  else if (!(await isAncestor(remote, 'HEAD', g))) {
    throw invalid(
      'BRANCH_DIVERGED',
      `Local ${branch} and origin/${branch} have diverged.`,
      `Rebase (git pull --rebase) or reset your local ${branch} first.`,
      branch,
    );
  }
}

export const gitSync: Step = {
  name: 'git/sync',
  summary: 'fast-forward the working copy to the remote target branch',
  inputs: {},
  outputs: {},
  async run(rc) {
    // A dry run works in a worktree made at the remote tip already.
    if (!rc.options.sync || rc.cmd.opts.dryRun) return 'skipped';
    await fastForward(rc.branch, rc.git, rc.options.prefetch);
    return 'succeeded';
  },
};
