/** Preconditions of a release from a working copy: on the target branch, no uncommitted changes. */
import { type GitContext, git } from '../../adapters/git.js';
import { invalid, quote } from '../../core/errors.js';

export async function checkWorkingCopy(branch: string, g: GitContext): Promise<void> {
  const current = (await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], g, { allowFailure: true })).stdout.trim();
  if (current !== branch) {
    throw invalid(
      'WRONG_BRANCH',
      `The env repo working copy is on ${quote(current || '(detached HEAD)')}, not the target branch ${quote(branch)}.`,
      `Run \`git checkout ${branch}\` first (or set git.targetBranch in gitops-flow.yaml).`,
      current,
    );
  }
  const dirty = (
    await git(['status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude).gitops-flow'], g)
  ).stdout.trim();
  if (dirty) {
    throw invalid(
      'WORKTREE_DIRTY',
      'The env repo has uncommitted changes.',
      'Commit or stash them first; a release commits only its own change.',
      undefined,
      dirty.split('\n'),
    );
  }
}
