/** Brings the working copy up to the remote target branch before a promotion reads from it. */
import { fetch, git, type GitContext } from '../../adapters/git.js';
import { invalid, quote } from '../../core/errors.js';

export async function syncWithRemote(branch: string, g: GitContext): Promise<void> {
  const current = (await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], g, { allowFailure: true })).stdout.trim();
  if (current !== branch) {
    throw invalid('WRONG_BRANCH', `The env repo working copy is on ${quote(current || '(detached HEAD)')}, not the target branch ${quote(branch)}.`,
      `Run \`git checkout ${branch}\` first (or set git.targetBranch in gitops-flow.yaml).`, current);
  }
  const dirty = (await git(['status', '--porcelain', '--untracked-files=no'], g)).stdout.trim();
  if (dirty) {
    throw invalid('WORKTREE_DIRTY', 'The env repo has uncommitted changes.', 'Commit or stash them first; promote commits only its own change.', undefined, dirty.split('\n'));
  }
  await fetch({ remote: 'origin', branch }, { ...g, dryRun: false });
  const remote = `refs/remotes/origin/${branch}`;
  const isAncestor = async (a: string, b: string) => (await git(['merge-base', '--is-ancestor', a, b], g, { allowFailure: true })).exitCode === 0;
  if (await isAncestor('HEAD', remote)) {
    await git(['merge', '--ff-only', '--quiet', remote], { ...g, dryRun: false });
  } else if (!(await isAncestor(remote, 'HEAD'))) {
    throw invalid('BRANCH_DIVERGED', `Local ${branch} and origin/${branch} have diverged.`, `Rebase (git pull --rebase) or reset your local ${branch} first.`, branch);
  }
}
