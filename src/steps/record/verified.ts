/**
 * `record/verified`: after a verified deploy, record what was verified (git notes, pushed when the
 * release was), and write `.gitops-flow/deploy.env` for GitLab's `artifacts:reports:dotenv`.
 */
import { join } from 'node:path';
import { writeDeployEnv } from '../../adapters/deploy-env.js';
import { gitContext, revParse, showFile } from '../../adapters/git.js';
import { pushVerified, recordVerified, verification } from '../../adapters/git-notes.js';
import { overlayFile, readOverlayImages } from '../../adapters/overlay.js';
import { confine } from '../../adapters/repo.js';
import type { Environment } from '../../core/config.js';
import type { CommandContext } from '../../core/io.js';
import { type KustomizeImage, parseKustomization, readImages } from '../../core/kustomization.js';
import { envOf, type ReleaseContext, type Step } from '../types.js';

async function recordRelease(
  p: { root: string; tree: string; env: Environment; commit: string; entries: KustomizeImage[]; push: boolean },
  ctx: CommandContext,
): Promise<void> {
  const g = gitContext(ctx, p.tree);
  const v = verification(p.env.name, p.commit, p.entries, ctx.io.env);
  await recordVerified(v, g);
  // The record's push and deploy.env are independent: one waits on the remote, the other on the disk.
  const [pushed] = await Promise.all([p.push ? pushVerified(g) : true, writeDotenv(p, v.images, ctx)]);
  if (!pushed) {
    ctx.log.warn(
      'could not push the verification record (refs/notes/gitops-flow-verified); check the token can push to the env repo',
    );
  }
}

/** `.gitops-flow/deploy.env` for GitLab's `artifacts:reports:dotenv`; a failure is a warning. */
async function writeDotenv(
  p: { root: string; env: Environment; commit: string },
  images: Parameters<typeof writeDeployEnv>[0]['images'],
  ctx: CommandContext,
): Promise<void> {
  try {
    const dotenv = confine(p.root, join('.gitops-flow', 'deploy.env'), 'deploy.env');
    await writeDeployEnv({
      path: dotenv,
      env: p.env.name,
      commit: p.commit,
      images,
      ...(p.env.url && { url: p.env.url }),
    });
    ctx.log.debug(`wrote ${dotenv} (artifacts:reports:dotenv)`);
  } catch (e) {
    // The release is deployed and verified; a report GitLab would refuse must not fail it.
    ctx.log.warn(`no .gitops-flow/deploy.env: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The overlay's images as deployed: at the commit given to deploy, else in the tree (HEAD). */
async function deployedEntries(rc: ReleaseContext): Promise<KustomizeImage[]> {
  const env = envOf(rc);
  if (rc.deployed.ref === undefined) return readOverlayImages(rc.tree, env);
  const rel = overlayFile(rc.tree, env).rel;
  const text = await showFile(rc.deployed.ref, rel, rc.git);
  return text ? readImages(parseKustomization(text, rel)) : [];
}

export const recordVerifiedStep: Step = {
  name: 'record/verified',
  summary: 'record the verified images of the env in git notes',
  inputs: {},
  outputs: {},
  async run(rc) {
    if (!rc.result.deployed || rc.cmd.opts.dryRun) return 'skipped';
    await recordRelease(
      {
        root: rc.root,
        tree: rc.tree,
        env: envOf(rc),
        commit: rc.deployed.ref ?? ((await revParse('HEAD', rc.git)) as string),
        entries: await deployedEntries(rc),
        push: rc.options.pushRecord ?? rc.result.pushed,
      },
      rc.cmd,
    );
    return 'succeeded';
  },
};
