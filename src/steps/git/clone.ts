/**
 * `git/clone` (suggest): a shallow clone of the env repo at the target branch, then its config, which
 * says which branch that is when no --target-branch was given.
 */
import { ExecError } from '../../adapters/exec-error.js';
import { clone, headName, resetToRemote } from '../../adapters/git.js';
import { loadConfig } from '../../adapters/repo.js';
import { invalid, quote } from '../../core/errors.js';
import { catalogueOf, planOf, type Step } from '../types.js';

export const gitClone: Step = {
  name: 'git/clone',
  summary: 'shallow-clone the env repo at the target branch (suggest)',
  inputs: {},
  outputs: {},
  async run(rc) {
    const p = planOf(rc, 'suggest');
    const g = { ...rc.git, dryRun: false };
    await clone({ url: p.envRepo, dir: rc.tree, depth: 1, ...(p.targetBranch && { branch: p.targetBranch }) }, g).catch(
      (e: unknown) => {
        if (p.targetBranch && e instanceof ExecError && /Remote branch .* not found/.test(e.stderr)) {
          throw invalid(
            'BRANCH_UNKNOWN',
            `The env repo has no branch ${quote(p.targetBranch)}.`,
            'Pass an existing --target-branch, or set git.targetBranch in gitops-flow.yaml.',
            p.targetBranch,
          );
        }
        throw e;
      },
    );
    rc.config = await loadConfig(rc.tree, catalogueOf(rc.steps));
    rc.branch = p.targetBranch ?? rc.config.targetBranch;
    if ((await headName(rc.git)) !== rc.branch)
      await resetToRemote(rc.branch, g, 1).catch(() => {
        throw invalid(
          'BRANCH_UNKNOWN',
          `The env repo has no branch ${quote(rc.branch)}.`,
          'Set git.targetBranch in gitops-flow.yaml or pass --target-branch.',
          rc.branch,
          undefined,
        );
      });
    return 'succeeded';
  },
};
