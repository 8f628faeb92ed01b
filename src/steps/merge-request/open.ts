/**
 * `merge-request/open` (suggest): push a branch whose GitLab push options open a merge request that
 * merges when its pipeline succeeds — or, in API mode (GitHub always), push it and open or update the
 * merge request through the forge's API. The same suggestion twice pushes nothing.
 */
import { type ImageChange, mergeRequestApi } from '../../adapters/forges/index.js';
import { fetch, headCommit, push, remoteHasBranch, showFile } from '../../adapters/git.js';
import { overlayFile, readOverlayText } from '../../adapters/overlay.js';
import { failed } from '../../core/errors.js';
import { imageMap, parseKustomization, readImages } from '../../core/kustomization.js';
import { pushOptions, suggestBranch } from '../../core/merge-request.js';
import { releaseMessage } from '../../core/trailers.js';
import { suggestedEnv } from '../images/pin-digest.js';
import { configOf, planOf, type ReleaseContext, type Step, type Suggestion } from '../types.js';

/** Each suggested image's reference on the target branch (before) and in this suggestion (after). */
async function imageChanges(rc: ReleaseContext): Promise<ImageChange[]> {
  const env = suggestedEnv(rc);
  const rel = overlayFile(rc.tree, env).rel;
  const old =
    (await showFile(`refs/remotes/origin/${rc.branch}`, rel, rc.git)) ?? (await showFile('HEAD', rel, rc.git));
  const before = old === undefined ? {} : imageMap(readImages(parseKustomization(old, rel)));
  const after = imageMap(readImages(parseKustomization(await readOverlayText(rc.tree, env), rel)));
  return rc.change.entries.map((i) => ({
    name: i.name,
    ...(before[i.name] !== undefined && { from: before[i.name] }),
    to: after[i.name] ?? '',
  }));
}

/** Does the existing remote branch already carry exactly these images for the env? */
async function sameSuggestion(rc: ReleaseContext, branch: string): Promise<boolean> {
  try {
    await fetch({ remote: 'origin', branch, depth: 1 }, rc.git);
  } catch {
    return false;
  }
  const env = suggestedEnv(rc);
  const theirs = await showFile(`refs/remotes/origin/${branch}`, overlayFile(rc.tree, env).rel, rc.git);
  if (theirs === undefined) return false;
  const mine = await readOverlayText(rc.tree, env);
  const key = (t: string) => JSON.stringify(readImages(parseKustomization(t, 'overlay')));
  return key(theirs) === key(mine);
}

async function pushBranch(rc: ReleaseContext): Promise<Suggestion> {
  const p = planOf(rc, 'suggest');
  const config = configOf(rc);
  const branch = suggestBranch(config.branchPrefix, p.env, rc.change.entries);
  const title = (rc.change.record ? releaseMessage(rc.change.record) : '').split('\n')[0] ?? '';
  // API mode checks the token and the project here, before anything is pushed.
  const api = await mergeRequestApi({ envRepo: p.envRepo, config, flag: p.mergeRequest }, rc.cmd);
  const options = api ? [] : pushOptions(config, rc.branch, title);
  const same = (await remoteHasBranch(branch, rc.git)) && (await sameSuggestion(rc, branch));
  if (same && !api) return { status: 'already-suggested', branch };
  const r = same
    ? { ok: true as const }
    : await push({ remote: 'origin', refspec: `HEAD:refs/heads/${branch}`, options }, rc.git);
  const commitSha = await headCommit(rc.git);
  if (r.ok && api) {
    const mergeRequest = await api.open({
      branch,
      target: rc.branch,
      env: p.env,
      title,
      changes: await imageChanges(rc),
      upstream: p.upstream,
      pushed: !same,
    });
    return {
      status: same ? 'already-suggested' : 'pushed',
      branch,
      ...(!same && { commit: commitSha }),
      ...(mergeRequest && { mergeRequest }),
    };
  }
  if (r.ok) return { status: 'pushed', branch, commit: commitSha, pushOptions: options };
  throw failed(
    'PUSH_FAILED',
    `git push of ${branch} failed.`,
    r.reason === 'rejected'
      ? `The branch ${branch} already exists with other content; delete it or merge its MR first.`
      : 'Check the env repo URL, the token in GITOPS_FLOW_GIT_TOKEN and that push options are allowed.',
    r.stderr.split('\n').slice(-8),
  );
}

export const mergeRequestOpen: Step = {
  name: 'merge-request/open',
  summary: 'push a branch with GitLab push options that open a merge request (suggest)',
  inputs: {},
  outputs: { branch: 'the branch pushed' },
  async run(rc) {
    if (!rc.result.changed) return 'skipped';
    rc.suggestion = await pushBranch(rc);
    return 'succeeded';
  },
};
