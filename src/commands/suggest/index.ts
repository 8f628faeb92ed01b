/**
 * `suggest --env-repo <url> --env <e> --image <name>=<ref>…`: the app pipeline's side. Shallow clone,
 * set the images in the env's overlay, commit with the upstream trace, push a branch whose GitLab push
 * options open a merge request that merges when its pipeline succeeds (or push to the target branch).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecError } from '../../adapters/exec.js';
import { type ImageChange, type MergeRequestSummary, mergeRequestApi } from '../../adapters/forges/index.js';
import {
  clone,
  commit,
  fetch,
  type GitContext,
  gitContext,
  headCommit,
  headName,
  push,
  remoteHasBranch,
  resetToRemote,
  showFile,
} from '../../adapters/git.js';
import { overlayFile, readOverlayText, setOverlayImages } from '../../adapters/overlay.js';
import { refuseIfPinned, removePin } from '../../adapters/pin-file.js';
import { loadConfig } from '../../adapters/repo.js';
import { type Environment, getEnvironment, type ResolvedConfig } from '../../core/config.js';
import { failed, invalid, quote } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import {
  imageMap,
  type KustomizeImage,
  parseImageArg,
  parseKustomization,
  readImages,
} from '../../core/kustomization.js';
import { releaseMessage, traceFromGitlabEnv, type UpstreamTrace } from '../../core/trailers.js';
import { type EngineStep, runPipeline } from '../../steps/engine/engine.js';
import { initialScope, verbSteps } from '../../steps/engine/resolve.js';
import { identity, pushWithReplay } from '../../steps/git/push.js';
import { pinSuggestion } from './pin-digest.js';
import { pushOptions, suggestBranch } from './push-options.js';
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
  upstream?: UpstreamTrace;
  /** `push-options` or `api`; default: git.mergeRequest.mode, push options on GitLab (GitHub: always the API). */
  mergeRequest?: string;
}

export interface SuggestResult {
  status: 'pushed' | 'no-change' | 'already-suggested';
  branch?: string;
  commit?: string;
  pushOptions?: string[];
  /** API mode: the merge (or pull) request opened or updated. */
  mergeRequest?: MergeRequestSummary;
}

interface State {
  g: GitContext;
  dir: string;
  images: KustomizeImage[];
  config?: ResolvedConfig;
  target?: string;
  message?: string;
  changed?: boolean;
  paths: string[];
  result?: SuggestResult;
}

export async function suggest(o: SuggestOptions, ctx: CommandContext): Promise<SuggestResult> {
  if (o.images.length === 0)
    throw invalid('IMAGE_MISSING', 'No --image given.', 'Pass --image <name>=<newName>:<tag> (repeatable).');
  const images = o.images.map(parseImageArg);
  validateRemoteUrl(o.envRepo);
  const upstream = { ...traceFromGitlabEnv(ctx.io.env), ...o.upstream };
  const dir = await mkdtemp(join(tmpdir(), 'gitops-flow-suggest-'));
  const s: State = { g: gitContext(ctx, dir), dir, images, paths: [] };
  const push = async () => {
    if (!s.changed) return 'skipped' as const;
    s.result = o.pushToTarget ? await pushToTarget(s, o) : await pushBranch(s, o, { ctx, upstream });
    return 'succeeded' as const;
  };
  const impl: Record<string, EngineStep['run']> = {
    'git/clone': async () => {
      await clone(
        { url: o.envRepo, dir, depth: 1, ...(o.targetBranch && { branch: o.targetBranch }) },
        { ...s.g, dryRun: false },
      ).catch((e: unknown) => {
        if (o.targetBranch && e instanceof ExecError && /Remote branch .* not found/.test(e.stderr)) {
          throw invalid(
            'BRANCH_UNKNOWN',
            `The env repo has no branch ${quote(o.targetBranch)}.`,
            'Pass an existing --target-branch, or set git.targetBranch in gitops-flow.yaml.',
            o.targetBranch,
          );
        }
        throw e;
      });
      s.config = await loadConfig(dir);
      s.target = o.targetBranch ?? s.config.targetBranch;
      const current = await headName(s.g);
      if (current !== s.target)
        await resetToRemote(s.target, { ...s.g, dryRun: false }, 1).catch(() => {
          throw invalid(
            'BRANCH_UNKNOWN',
            `The env repo has no branch ${quote(s.target ?? '')}.`,
            'Set git.targetBranch in gitops-flow.yaml or pass --target-branch.',
            s.target,
            undefined,
          );
        });
      return 'succeeded';
    },
    'images/pin-digest': async () => {
      const pinned = await pinSuggestion(
        { dir, config: s.config as ResolvedConfig, env: o.env, images, pinDigest: Boolean(o.pinDigest) },
        ctx,
      );
      if (!pinned) return 'skipped';
      s.images = pinned;
      return 'succeeded';
    },
    'images/set': async () => {
      const env = getEnvironment(s.config as ResolvedConfig, o.env);
      s.paths = await applySuggestion(dir, env, s.images, Boolean(o.force));
      s.changed = s.paths.length > 0;
      return s.changed ? 'succeeded' : 'skipped';
    },
    'git/commit': async () => {
      if (!s.changed) return 'skipped';
      const env = getEnvironment(s.config as ResolvedConfig, o.env);
      const after = readImages(parseKustomization(await readFileAt(dir, env), 'overlay'));
      const wanted = new Set(images.map((i) => i.name));
      s.message = releaseMessage({
        action: 'suggest',
        env: env.name,
        images: imageMap(after.filter((i) => wanted.has(i.name))),
        upstream,
      });
      await commit({ paths: s.paths, message: s.message, ...(await authorOf(s)) }, s.g);
      return 'succeeded';
    },
    'merge-request/open': push,
    'git/push': push,
  };
  const c = { ctx, root: dir };
  const steps = verbSteps('suggest', impl, c);
  try {
    await runPipeline(
      steps,
      initialScope(c, { env: o.env, images: o.images.join(','), 'push-to-target': Boolean(o.pushToTarget) }, 'suggest'),
      ctx.log,
    );
    const result = s.result ?? { status: 'no-change' as const };
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

function readFileAt(dir: string, env: Environment): Promise<string> {
  return readOverlayText(dir, env);
}

async function authorOf(s: State): Promise<{ author?: { name: string; email: string } }> {
  const a = await identity(s.config as ResolvedConfig, s.g);
  return a ? { author: a } : {};
}

async function pushBranch(
  s: State,
  o: SuggestOptions,
  run: { ctx: CommandContext; upstream: UpstreamTrace },
): Promise<SuggestResult> {
  const config = s.config as ResolvedConfig;
  const branch = suggestBranch(config.branchPrefix, o.env, s.images);
  const title = (s.message ?? '').split('\n')[0] ?? '';
  // API mode checks the token and the project here, before anything is pushed.
  const api = await mergeRequestApi({ envRepo: o.envRepo, config, flag: o.mergeRequest }, run.ctx);
  const options = api ? [] : pushOptions(config, s.target as string, title);
  const same = (await remoteHasBranch(branch, s.g)) && (await sameSuggestion(s, o, branch));
  if (same && !api) return { status: 'already-suggested', branch };
  const r = same
    ? { ok: true as const }
    : await push({ remote: 'origin', refspec: `HEAD:refs/heads/${branch}`, options }, s.g);
  const commitSha = await headCommit(s.g);
  if (r.ok && api) {
    const mergeRequest = await api.open({
      branch,
      target: s.target as string,
      env: o.env,
      title,
      changes: await imageChanges(s, o),
      upstream: run.upstream,
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

/** Each suggested image's reference on the target branch (before) and in this suggestion (after). */
async function imageChanges(s: State, o: SuggestOptions): Promise<ImageChange[]> {
  const env = getEnvironment(s.config as ResolvedConfig, o.env);
  const rel = overlayFile(s.dir, env).rel;
  const old = (await showFile(`refs/remotes/origin/${s.target}`, rel, s.g)) ?? (await showFile('HEAD', rel, s.g));
  const before = old === undefined ? {} : imageMap(readImages(parseKustomization(old, rel)));
  const after = imageMap(readImages(parseKustomization(await readFileAt(s.dir, env), rel)));
  return s.images.map((i) => ({
    name: i.name,
    ...(before[i.name] !== undefined && { from: before[i.name] }),
    to: after[i.name] ?? '',
  }));
}

/** Does the existing remote branch already carry exactly these images for the env? */
async function sameSuggestion(s: State, o: SuggestOptions, branch: string): Promise<boolean> {
  try {
    await fetch({ remote: 'origin', branch, depth: 1 }, s.g);
  } catch {
    return false;
  }
  const env = getEnvironment(s.config as ResolvedConfig, o.env);
  const theirs = await showFile(`refs/remotes/origin/${branch}`, overlayFile(s.dir, env).rel, s.g);
  if (theirs === undefined) return false;
  const mine = await readFileAt(s.dir, env);
  const key = (t: string) => JSON.stringify(readImages(parseKustomization(t, 'overlay')));
  return key(theirs) === key(mine);
}

async function pushToTarget(s: State, o: SuggestOptions): Promise<SuggestResult> {
  const target = s.target as string;
  const env = getEnvironment(s.config as ResolvedConfig, o.env);
  const r = await pushWithReplay(
    {
      branch: target,
      depth: 1,
      onRetry: (n, why) => s.g.log.info(`  push rejected (${why.trim()}); replaying on the new tip, attempt ${n + 1}`),
      replay: async () => {
        const paths = await applySuggestion(s.dir, env, s.images, Boolean(o.force));
        if (paths.length === 0) return false;
        await commit({ paths, message: s.message as string, ...(await authorOf(s)) }, s.g);
        return true;
      },
    },
    s.g,
  );
  if (!r.landed) return { status: 'no-change' };
  return { status: 'pushed', branch: target, commit: await headCommit(s.g) };
}

/**
 * Sets the images in the env's overlay; a pinned env (a rollback holds it) refuses unless `force`,
 * which also unpins. Returns the paths to commit ([]: no change).
 */
async function applySuggestion(
  dir: string,
  env: Environment,
  images: KustomizeImage[],
  force: boolean,
): Promise<string[]> {
  await refuseIfPinned(dir, env, 'suggest', force);
  const changed = await setOverlayImages(dir, env, images);
  const unpinned = force ? await removePin(dir, env) : undefined;
  return [...(changed || unpinned ? [overlayFile(dir, env).rel] : []), ...(unpinned ? [unpinned] : [])];
}
