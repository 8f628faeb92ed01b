/**
 * `restore --env <e> | --all-envs --at <ref | ISO-8601 time>`: disaster recovery. Bring the env back as
 * git had it then — the overlay and everything it references — apply it, verify, and record the state
 * as a new commit so git and cluster agree again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GitContext, gitContext, resolveRef, showFile } from '../../adapters/git.js';
import { commitAtOrBefore, exportTree } from '../../adapters/git-history.js';
import { restorePaths } from '../../adapters/git-tree.js';
import { readOverlayImages } from '../../adapters/overlay.js';
import { referencedPaths } from '../../adapters/overlay-references.js';
import { loadConfig, repoDir } from '../../adapters/repo.js';
import { clampTimeout } from '../../core/bounds.js';
import { type Environment, getEnvironment, type ResolvedConfig } from '../../core/config.js';
import { parseDuration } from '../../core/duration.js';
import { failed, invalid, quote } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { imageMap } from '../../core/kustomization.js';
import { releaseMessage } from '../../core/trailers.js';
import { renderEnv } from '../../steps/deploy/release.js';
import { type ReleaseResult, runRelease } from '../../steps/engine/release.js';

export interface RestoreOptions {
  repoDir?: string;
  env?: string;
  allEnvs?: boolean;
  at: string;
  deploy?: boolean;
  push?: boolean;
  timeout?: string;
}

export type RestoreResult = ReleaseResult & {
  env: string;
  at: string;
  images: Record<string, string>;
  paths: string[];
};

export async function restore(o: RestoreOptions, ctx: CommandContext): Promise<RestoreResult[]> {
  const root = repoDir(ctx, o.repoDir);
  const timeoutMs = o.timeout ? clampTimeout(parseDuration(o.timeout, '--timeout')) : undefined;
  const config = await loadConfig(root);
  if (Boolean(o.env) === Boolean(o.allEnvs))
    throw invalid(
      'RESTORE_TARGET',
      'Pass exactly one of --env <env> or --all-envs.',
      'e.g. gitops-flow restore --env prod --at 2026-10-01T12:00Z',
    );
  const envs = o.allEnvs
    ? config.order.map((n) => getEnvironment(config, n))
    : [getEnvironment(config, o.env as string)];
  if (isTime(o.at) && Number.isNaN(Date.parse(o.at)))
    throw invalid(
      'TIME_INVALID',
      `Invalid time ${quote(o.at)}.`,
      'Use ISO 8601, e.g. 2026-10-01T12:00Z, or a commit.',
      o.at,
    );
  const results: RestoreResult[] = [];
  for (const env of envs) results.push(await restoreEnv(env, config, root, o, timeoutMs, ctx));
  if (ctx.opts.json) ctx.log.result(JSON.stringify(results, null, 2));
  return results;
}

const isTime = (at: string) => /^\d{4}-\d{2}-\d{2}/.test(at);

async function restoreEnv(
  env: Environment,
  config: ResolvedConfig,
  root: string,
  o: RestoreOptions,
  timeoutMs: number | undefined,
  ctx: CommandContext,
): Promise<RestoreResult> {
  let target = '';
  let paths: string[] = [];
  let images: Record<string, string> = {};
  const result = await runRelease(
    {
      root,
      config,
      env,
      verb: 'restore',
      editStep: 'overlay/restore',
      deploy: o.deploy !== false,
      alwaysDeploy: true,
      push: o.push !== false,
      ...(timeoutMs && { timeoutMs }),
      edit: async (tree) => {
        const g = gitContext(ctx, tree);
        target ||= await resolveAt(o.at, g);
        paths = await referencesAt(target, env, g);
        const changed = await restorePaths(target, paths, g);
        images = imageMap(await readOverlayImages(tree, env));
        await checkReproduced(tree, env, target, ctx);
        return changed;
      },
      message: () => releaseMessage({ action: 'restore', env: env.name, images, restoredFrom: target }),
    },
    ctx,
  );
  ctx.log.info(
    result.changed || result.deployed
      ? `Restored ${env.name} as of ${target.slice(0, 12)} (${paths.join(', ')})${result.deployed ? ', verified' : ''}${result.pushed ? ', pushed' : ''}.`
      : `No change: ${env.name} already equals its state at ${target.slice(0, 12)}.`,
  );
  return { env: env.name, at: target, images, paths, ...result };
}

/** A commit, or the last commit of the branch at or before an ISO-8601 time. */
async function resolveAt(at: string, g: GitContext): Promise<string> {
  if (!isTime(at)) return resolveRef(at, g);
  const sha = await commitAtOrBefore(new Date(at), g);
  if (!sha)
    throw invalid(
      'NOTHING_AT_TIME',
      `The branch has no commit at or before ${at}.`,
      'Pick a later time; `gitops-flow history` lists every release with its time.',
      at,
    );
  return sha;
}

/** The repo paths the env's overlay referenced at `commit` (read from that commit's tree). */
async function referencesAt(commit: string, env: Environment, g: GitContext): Promise<string[]> {
  if (
    (await showFile(commit, `${env.overlay}/kustomization.yaml`, g)) === undefined &&
    (await showFile(commit, `${env.overlay}/kustomization.yml`, g)) === undefined
  ) {
    throw invalid(
      'ENV_ABSENT_AT',
      `${env.name} had no overlay (${env.overlay}) at ${commit.slice(0, 12)}.`,
      'Pick a later commit or time.',
      commit,
    );
  }
  const tmp = await mkdtemp(join(tmpdir(), 'gitops-flow-refs-'));
  try {
    await exportTree(commit, tmp, g);
    return await referencedPaths(tmp, env.overlay);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The restored tree must render exactly as the commit did; anything else is refused, not recorded. */
async function checkReproduced(tree: string, env: Environment, commit: string, ctx: CommandContext): Promise<void> {
  const [now, then] = await Promise.all([
    renderEnv({ root: tree, env }, ctx),
    renderEnv({ root: tree, env, ref: commit }, ctx),
  ]);
  if (now !== then) {
    throw failed(
      'RESTORE_NOT_REPRODUCIBLE',
      `Restoring ${env.name} as of ${commit.slice(0, 12)} does not render as that commit did.`,
      'The overlay depends on something a restore cannot bring back (a remote base, or a symlink to a folder it does not reference). Render both with `gitops-flow diff` and restore by hand.',
    );
  }
}
