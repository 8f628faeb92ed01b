/** Preconditions of a release from a working copy: on the target branch, no uncommitted changes. */

import { currentBranch, type GitContext } from '../../adapters/git.js';
import { uncommittedChanges } from '../../adapters/git-tree.js';
import { invalid, quote } from '../../core/errors.js';

export async function checkWorkingCopy(branch: string, g: GitContext): Promise<void> {
  const current = await currentBranch(g);
  if (current !== branch) {
    throw invalid(
      'WRONG_BRANCH',
      `The env repo working copy is on ${quote(current || '(detached HEAD)')}, not the target branch ${quote(branch)}.`,
      `Run \`git checkout ${branch}\` first (or set git.targetBranch in gitops-flow.yaml).`,
      current,
    );
  }
  const dirty = await uncommittedChanges(g);
  if (dirty.length > 0) {
    throw invalid(
      'WORKTREE_DIRTY',
      'The env repo has uncommitted changes.',
      'Commit or stash them first; a release commits only its own change.',
      undefined,
      dirty,
    );
  }
}
