/** `git/commit`: commits the change of the edit step, its message carrying the release trailers. */
import { commit, configuredEmail, type GitContext, revParse } from '../../adapters/git.js';
import type { ResolvedConfig } from '../../core/config.js';
import { releaseMessage } from '../../core/trailers.js';
import { configOf, type ReleaseContext, type Step } from '../types.js';

/** The commit identity: config first, then the repo's own, then GitLab's user, then a neutral default. */
export async function identity(
  config: ResolvedConfig,
  g: GitContext,
): Promise<{ name: string; email: string } | undefined> {
  if (config.author) return config.author;
  if (await configuredEmail(g)) return undefined;
  return { name: g.env.GITLAB_USER_NAME || 'gitops-flow', email: g.env.GITLAB_USER_EMAIL || 'gitops-flow@localhost' };
}

/** Commits `rc.change.paths` with the message of `rc.change.record`. */
export async function commitChange(rc: ReleaseContext): Promise<void> {
  if (!rc.change.record) throw new Error(`${rc.verb}: git/commit before an edit step said what it changed`);
  const author = await identity(configOf(rc), rc.git);
  await commit(
    { paths: rc.change.paths, message: releaseMessage(rc.change.record), ...(author && { author }) },
    rc.git,
  );
}

export const gitCommit: Step = {
  name: 'git/commit',
  summary: 'commit the change with the release trailers',
  inputs: {},
  outputs: { commit: 'the new commit' },
  async run(rc) {
    if (!rc.result.changed) return 'skipped';
    await commitChange(rc);
    return { result: 'succeeded', outputs: { commit: (await revParse('HEAD', rc.git)) ?? '' } };
  },
};
