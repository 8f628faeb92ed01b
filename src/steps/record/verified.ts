/**
 * After a verified deploy: record what was verified (git notes, pushed when the release was), and
 * write `.gitops-flow/deploy.env` for GitLab's `artifacts:reports:dotenv`.
 */
import { join } from 'node:path';
import { writeDeployEnv } from '../../adapters/deploy-env.js';
import { gitContext } from '../../adapters/git.js';
import { pushVerified, recordVerified, verification } from '../../adapters/git-notes.js';
import { confine } from '../../adapters/repo.js';
import type { Environment } from '../../core/config.js';
import type { CommandContext } from '../../core/io.js';
import type { KustomizeImage } from '../../core/kustomization.js';

export async function recordRelease(
  p: { root: string; tree: string; env: Environment; commit: string; entries: KustomizeImage[]; push: boolean },
  ctx: CommandContext,
): Promise<void> {
  const g = gitContext(ctx, p.tree);
  const v = verification(p.env.name, p.commit, p.entries, ctx.io.env);
  await recordVerified(v, g);
  if (p.push && !(await pushVerified(g))) {
    ctx.log.warn(
      'could not push the verification record (refs/notes/gitops-flow-verified); check the token can push to the env repo',
    );
  }
  try {
    const dotenv = confine(p.root, join('.gitops-flow', 'deploy.env'), 'deploy.env');
    await writeDeployEnv({
      path: dotenv,
      env: p.env.name,
      commit: p.commit,
      images: v.images,
      ...(p.env.url && { url: p.env.url }),
    });
    ctx.log.debug(`wrote ${dotenv} (artifacts:reports:dotenv)`);
  } catch (e) {
    // The release is deployed and verified; a report GitLab would refuse must not fail it.
    ctx.log.warn(`no .gitops-flow/deploy.env: ${e instanceof Error ? e.message : String(e)}`);
  }
}
