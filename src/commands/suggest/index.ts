/**
 * `suggest --env-repo <url> --env <e> --image <name>=<ref>…`: the app pipeline's side. Shallow clone,
 * set the images in the env's overlay, commit with the upstream trace, push a branch whose GitLab push
 * options open a merge request that merges when its pipeline succeeds (or push to the target branch):
 * the steps git/clone, images/pin-digest, images/set, git/commit, merge-request/open or git/push.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headCommit } from '../../adapters/git.js';
import { invalid } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { parseImageArg } from '../../core/kustomization.js';
import { traceFromGitlabEnv, type UpstreamTrace } from '../../core/trailers.js';
import { releaseContext } from '../../steps/context.js';
import { runPipeline } from '../../steps/engine/engine.js';
import { initialScope, verbSteps } from '../../steps/engine/resolve.js';
import { STEPS } from '../../steps/registry.js';
import type { ReleaseContext, Suggestion } from '../../steps/types.js';
import { validateRemoteUrl } from './remote-url.js';

export interface SuggestOptions {
  envRepo: string;
  env: string;
  images: string[];
  /** Target branch; default: gitops-flow.yaml's git.targetBranch, else the remote's default branch. */
  targetBranch?: string;
  pushToTarget?: boolean;
  /** Suggest into a pinned env (and unpin it). */
  force?: boolean;
  /** Resolve each tag to its manifest digest and write both (always on for a requireDigest env). */
  pinDigest?: boolean;
  /** Set images no workload of the env's render runs. */
  allowUnused?: boolean;
  upstream?: UpstreamTrace;
  /** `push-options` or `api`; default: git.mergeRequest.mode, push options on GitLab (GitHub: always the API). */
  mergeRequest?: string;
}

export type SuggestResult = Suggestion | { status: 'no-change'; branch?: undefined; mergeRequest?: undefined };

export async function suggest(o: SuggestOptions, ctx: CommandContext): Promise<SuggestResult> {
  if (o.images.length === 0)
    throw invalid('IMAGE_MISSING', 'No --image given.', 'Pass --image <name>=<newName>:<tag> (repeatable).');
  const images = o.images.map(parseImageArg);
  validateRemoteUrl(o.envRepo);
  const upstream = { ...traceFromGitlabEnv(ctx.io.env), ...o.upstream };
  const dir = await mkdtemp(join(tmpdir(), 'gitops-flow-suggest-'));
  const rc = releaseContext({
    cmd: ctx,
    verb: 'suggest',
    plan: {
      verb: 'suggest',
      envRepo: o.envRepo,
      env: o.env,
      images,
      ...(o.targetBranch && { targetBranch: o.targetBranch }),
      pushToTarget: Boolean(o.pushToTarget),
      force: Boolean(o.force),
      pinDigest: Boolean(o.pinDigest),
      allowUnused: Boolean(o.allowUnused),
      upstream,
      ...(o.mergeRequest && { mergeRequest: o.mergeRequest }),
    },
    root: dir,
    tree: dir,
    // Known once git/clone has read the clone's config.
    branch: o.targetBranch ?? '',
    remote: true,
    options: { deploy: false, push: true, sync: false, depth: 1, freshClone: true },
    steps: STEPS,
    manifestPath: '',
  });
  const c = { ctx, root: dir };
  try {
    await runPipeline(
      verbSteps('suggest', rc, c),
      initialScope(c, { env: o.env, images: o.images.join(','), 'push-to-target': Boolean(o.pushToTarget) }, 'suggest'),
      ctx.log,
    );
    const result = await resultOf(rc);
    ctx.log.info(
      result.status === 'no-change'
        ? `No change: ${o.env} already runs ${images.map((i) => i.name).join(', ')} as requested; nothing pushed.`
        : result.status === 'already-suggested'
          ? `Already suggested on ${result.branch}; nothing pushed.`
          : `${ctx.opts.dryRun ? '[dry-run] would push' : 'Pushed'} ${result.branch}${o.pushToTarget || result.mergeRequest ? '' : ' with merge request push options'}.`,
    );
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The merge request branch pushed, the target branch the change landed on, or no change. */
async function resultOf(rc: ReleaseContext): Promise<SuggestResult> {
  if (rc.suggestion) return rc.suggestion;
  if (rc.result.landed) return { status: 'pushed', branch: rc.branch, commit: await headCommit(rc.git) };
  return { status: 'no-change' };
}
