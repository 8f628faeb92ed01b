/**
 * Merge requests through the forge's API, for suggest (open or update one, auto-merge, close the ones
 * it supersedes) and for deploy (comment the result on the merge request of its pipeline).
 */

import type { ResolvedConfig } from '../../core/config.js';
import { GitopsError } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import type { UpstreamTrace } from '../../core/trailers.js';
import { deployComment, type ImageChange, readMarker, suggestionDescription, supersedes } from './describe.js';
import { github } from './github.js';
import { gitlab } from './gitlab.js';
import {
  type ForgeKind,
  type ForgeTarget,
  forgeForRemote,
  forgeKind,
  forgeToken,
  isMergeRequestPipeline,
  mergeRequestMode,
  pipelineMergeRequest,
} from './resolve.js';
import type { AutoMergeMode, ChangeFields, Forge } from './types.js';

export type { ImageChange } from './describe.js';

/** What of the resolved gitops-flow.yaml the API mode uses. */
type ForgeConfig = Pick<ResolvedConfig, 'forge' | 'labels' | 'removeSourceBranch'> & {
  autoMerge: AutoMergeMode | 'off';
};

export interface MergeRequestSummary {
  forge: 'gitlab' | 'github';
  number: number;
  url: string;
  action: 'created' | 'updated';
  autoMerge: 'set' | 'not-set' | 'off';
  /** Numbers of the merge requests this one closed as superseded. */
  closed: number[];
}

export interface MergeRequestApi {
  forge: Forge;
  /** Creates or updates the merge request of a pushed branch; `pushed` says whether this run pushed it. */
  open(p: {
    branch: string;
    target: string;
    env: string;
    title: string;
    changes: ImageChange[];
    upstream: UpstreamTrace;
    pushed: boolean;
  }): Promise<MergeRequestSummary | undefined>;
}

function forgeClient(t: ForgeTarget, ctx: CommandContext): Forge {
  return t.kind === 'gitlab' ? gitlab(t, ctx.log) : github(t, ctx.log, ctx.io.env);
}

/**
 * The API client when suggest opens merge requests through the API (GitLab with `mode: api` or
 * `--merge-request api`; GitHub always), after checking the token and the project: everything that can
 * be wrong with the input fails here, before anything is pushed. Undefined: use GitLab push options.
 */
export async function mergeRequestApi(
  p: { envRepo: string; config: ForgeConfig; flag?: string },
  ctx: CommandContext,
): Promise<MergeRequestApi | undefined> {
  const settings = { forge: p.config.forge.kind, forgeUrl: p.config.forge.url };
  if (mergeRequestMode(forgeKind(p.envRepo, settings, ctx.io.env), p.flag, p.config.forge.mode) !== 'api')
    return undefined;
  const where = forgeForRemote(p.envRepo, settings, ctx.io.env);
  const target: ForgeTarget = { ...where, ...forgeToken(where.kind, ctx.io.env) };
  const forge = forgeClient(target, ctx);
  await forge.preflight(p.config.forge.assignees);
  return {
    forge,
    open: (o) =>
      openMergeRequest(forge, target.kind, p.config, o, ctx).catch((e: unknown) => {
        throw afterPush(e, forge, o);
      }),
  };
}

async function openMergeRequest(
  forge: Forge,
  kind: ForgeKind,
  config: ForgeConfig,
  o: Parameters<MergeRequestApi['open']>[0],
  ctx: CommandContext,
): Promise<MergeRequestSummary | undefined> {
  const scrub = (t: string) => ctx.log.scrubber.scrub(t);
  const fields: ChangeFields = {
    branch: o.branch,
    target: o.target,
    title: scrub(o.title).slice(0, 255),
    description: suggestionDescription({ env: o.env, changes: o.changes, upstream: o.upstream }, scrub),
    labels: config.labels,
    assignees: config.forge.assignees,
    removeSourceBranch: config.removeSourceBranch,
  };
  const existing = await forge.findOpen(o.branch, o.target);
  if (ctx.opts.dryRun) {
    ctx.log.info(
      `[dry-run] would ${existing ? `update ${forge.name} ${forge.ref(existing.number)}` : `open a ${forge.noun}`} for ${o.branch}`,
    );
    return undefined;
  }
  let change = existing;
  let action: MergeRequestSummary['action'];
  if (existing) {
    change = await forge.update(existing, fields);
    action = 'updated';
  } else {
    const r = await forge.create(fields);
    change = r.change;
    action = r.created ? 'created' : 'updated';
  }
  ctx.log.info(
    `${action === 'created' ? 'Opened' : 'Updated'} ${forge.noun} ${forge.ref(change.number)}: ${change.url}`,
  );
  let autoMerge: MergeRequestSummary['autoMerge'] = 'off';
  // The merge request exists from here on: what follows is a warning when refused, never a failure
  // (e.g. a Developer's token may open merge requests but not merge into a protected branch).
  const refused = (e: unknown) =>
    e instanceof GitopsError ? `${e.message}${e.remediation ? ` (${e.remediation})` : ''}` : String(e);
  if (config.autoMerge !== 'off') {
    const r = await forge.autoMerge(change, config.autoMerge).catch((e: unknown) => ({ set: false, why: refused(e) }));
    autoMerge = r.set ? 'set' : 'not-set';
    if (!r.set)
      ctx.log.warn(
        `auto-merge is not set on ${forge.ref(change.number)}: ${r.why}. Merge it by hand once its pipeline passes.`,
      );
  }
  const opened = change;
  const closed = config.forge.closeSuperseded
    ? await closeSuperseded(forge, change.number, o, ctx).catch((e: unknown) => {
        ctx.log.warn(`older ${forge.noun}s superseded by ${forge.ref(opened.number)} were not closed: ${refused(e)}`);
        return [];
      })
    : [];
  return { forge: kind, number: change.number, url: change.url, action, autoMerge, closed };
}

/** Closes the open merge requests of older suggestions that this one makes obsolete. */
async function closeSuperseded(
  forge: Forge,
  mine: number,
  o: Parameters<MergeRequestApi['open']>[0],
  ctx: CommandContext,
): Promise<number[]> {
  const marker = { env: o.env, images: o.changes.map((c) => c.name) };
  const older = (await forge.listOpen(o.target)).filter((c) => {
    const theirs = readMarker(c.description);
    return c.number !== mine && c.branch !== o.branch && theirs !== undefined && supersedes(marker, theirs);
  });
  for (const c of older) {
    await forge.close(c, `Superseded by ${forge.ref(mine)}: gitops-flow suggested newer images for ${o.env}.`);
    ctx.log.info(`Closed ${forge.ref(c.number)} (${c.branch}): superseded by ${forge.ref(mine)}`);
  }
  return older.map((c) => c.number);
}

/** An API failure after the branch was pushed: say exactly what exists and how to finish. */
function afterPush(e: unknown, forge: Forge, o: { branch: string; pushed: boolean }): unknown {
  if (!(e instanceof GitopsError)) return e;
  return new GitopsError({
    code: e.code,
    exitCode: 1,
    value: e.value,
    cause: e,
    message: `${o.pushed ? 'The branch was pushed' : 'The branch exists'}, but the ${forge.noun} was not opened or updated: ${e.message}`,
    details: [
      `branch ${o.branch}: ${o.pushed ? 'pushed by this run' : 'already on the remote'}`,
      `${forge.noun}: not opened or updated`,
      ...e.details,
    ],
    remediation:
      `${e.remediation ?? ''} Then run the same suggest again: it finds the branch and opens (or updates) the ${forge.noun}, without a second one.`.trim(),
  });
}

/**
 * Runs a deploy and, in a merge request pipeline (GitLab's CI_MERGE_REQUEST_IID, or a GitHub pull
 * request ref), comments its result there: workloads, time, failure reason. On GitLab only in API mode
 * (`git.mergeRequest.mode: api`): with push options the token may push but not comment. A comment that
 * cannot be posted is a warning; the deploy's own result stands.
 */
export async function withDeployComment<T extends { commit: string; workloads: string[] }>(
  p: { env: string; config: () => Promise<ResolvedConfig> },
  ctx: CommandContext,
  run: () => Promise<T>,
): Promise<T> {
  const config =
    ctx.opts.dryRun || !isMergeRequestPipeline(ctx.io.env) ? undefined : await p.config().catch(() => undefined);
  const target = config && pipelineMergeRequest(ctx.io.env);
  if (!target || (target.kind === 'gitlab' && config.forge.mode !== 'api')) return run();
  const env = p.env;
  const start = performance.now();
  const post = async (body: string) => {
    try {
      const token = forgeToken(target.kind, ctx.io.env);
      const forge = forgeClient({ ...target, ...token }, ctx);
      await forge.comment(target.number, ctx.log.scrubber.scrub(body));
      ctx.log.info(`Commented the result on ${forge.noun} ${forge.ref(target.number)}`);
    } catch (e) {
      ctx.log.warn(
        `could not comment on the ${target.kind === 'gitlab' ? 'merge' : 'pull'} request ${target.number}: ${e instanceof Error ? e.message : String(e)}${e instanceof GitopsError && e.remediation ? ` (${e.remediation})` : ''}`,
      );
    }
  };
  const jobUrl =
    ctx.io.env.CI_JOB_URL ??
    (ctx.io.env.GITHUB_RUN_ID && ctx.io.env.GITHUB_REPOSITORY
      ? `${target.webUrl}/${ctx.io.env.GITHUB_REPOSITORY}/actions/runs/${ctx.io.env.GITHUB_RUN_ID}`
      : undefined);
  try {
    const r = await run();
    await post(
      deployComment({
        env,
        commit: r.commit,
        ok: true,
        workloads: r.workloads,
        ms: performance.now() - start,
        ...(jobUrl && { jobUrl }),
      }),
    );
    return r;
  } catch (e) {
    const error =
      e instanceof GitopsError
        ? { code: e.code, message: e.message, details: e.details }
        : {
            code: e instanceof Error ? e.name : 'Error',
            message: e instanceof Error ? e.message : String(e),
            details: [],
          };
    const commit = ctx.io.env.CI_COMMIT_SHA ?? ctx.io.env.GITHUB_SHA;
    await post(
      deployComment({
        env,
        ...(commit && { commit }),
        ok: false,
        workloads: [],
        ms: performance.now() - start,
        error,
        ...(jobUrl && { jobUrl }),
      }),
    );
    throw e;
  }
}
