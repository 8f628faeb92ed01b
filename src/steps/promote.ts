/**
 * `promote`: the promote verb's release — copy the source env's images into the target overlay
 * (images/copy), commit, deploy and verify, push, record — as `gitops-flow promote` runs it and as
 * `uses: promote` runs it in a pipeline of gitops-flow.yaml.
 */
import { loadConfig } from '../adapters/repo.js';
import { clampTimeout } from '../core/bounds.js';
import { withVerifyFlags } from '../core/config.js';
import { parseDuration } from '../core/duration.js';
import { invalid, quote } from '../core/errors.js';
import type { CommandContext } from '../core/io.js';
import { type PromoteSource, promoteSummary, promotionOf } from '../core/plans.js';
import { resultOf } from './context.js';
import { runRelease } from './engine/release.js';
import { catalogueOf, type ReleaseResult, type Step } from './types.js';

export interface PromoteOptions {
  /** The env repo working copy, absolute. */
  root: string;
  from: string;
  to: string;
  /** Only these image names (default: every image of the source overlay). */
  images?: string[];
  deploy?: boolean;
  push?: boolean;
  timeout?: string;
  /** Promote into a pinned env (and unpin it). */
  force?: boolean;
  /** Set images no workload of the target's render runs. */
  allowUnused?: boolean;
  /** Change the target overlay even when other envs' renders read it. */
  includeShared?: boolean;
  /** false (--no-fail-fast): wait to the deadline whatever the pods do. */
  failFast?: boolean;
  /** --json-events: the live report as JSON events on stderr. */
  jsonEvents?: boolean;
}

export interface PromoteResult extends ReleaseResult {
  from: string;
  to: string;
  images: Record<string, string>;
  /** Where the images came from: the source overlay at the tip, or its last verified deploy. */
  source: PromoteSource;
}

/** Promotes `from` into `to` and says so (the verb's --json document is the caller's). */
export async function promoteRelease(
  o: PromoteOptions,
  ctx: CommandContext,
  steps: ReadonlyMap<string, Step>,
): Promise<PromoteResult> {
  const timeoutMs = o.timeout ? clampTimeout(parseDuration(o.timeout, '--timeout')) : undefined;
  const config = await loadConfig(o.root, catalogueOf(steps));
  const { from, to } = promotionOf(config, o);
  const rc = await runRelease(
    {
      root: o.root,
      config,
      env: withVerifyFlags(to, o),
      plan: {
        verb: 'promote',
        from,
        ...(o.images && { only: o.images }),
        force: Boolean(o.force),
        allowUnused: Boolean(o.allowUnused),
        includeShared: Boolean(o.includeShared),
      },
      inputs: { from: from.name, to: to.name },
      deploy: o.deploy !== false,
      push: o.push !== false,
      ...(timeoutMs && { timeoutMs }),
    },
    ctx,
    steps,
  );
  const result = resultOf(rc);
  const out: PromoteResult = {
    from: from.name,
    to: to.name,
    images: rc.change.images,
    source: rc.change.source ?? { kind: 'tip', commit: '' },
    ...result,
  };
  ctx.log.info(promoteSummary({ from: from.name, to: to.name, images: out.images, dryRun: ctx.opts.dryRun }, result));
  return out;
}

/** A boolean input of a built-in: 'true' or 'false' (after interpolation everything is text). */
export function flag(inputs: Record<string, string>, name: string, step: string, fallback: boolean): boolean {
  const v = inputs[name];
  if (v === undefined || v === '') return fallback;
  if (v === 'true' || v === 'false') return v === 'true';
  throw invalid(
    'INPUT_INVALID',
    `Input ${name} of ${step} must be 'true' or 'false', got ${quote(v)}.`,
    `Set with.${name} to true or false.`,
    v,
  );
}

/** An input left empty is not given. */
export const given = (v: string | undefined) => (v === '' ? undefined : v);

const ENV = { description: 'environment', required: true };

export const promote: Step = {
  name: 'promote',
  summary: 'the promote verb as one step: copy images, commit, deploy, verify, push',
  inputs: {
    from: ENV,
    to: ENV,
    images: { description: 'only these image names, comma-separated' },
    deploy: { description: "'false': commit (and push) without deploying", default: 'true' },
    push: { description: "'false': commit and deploy without pushing", default: 'true' },
    timeout: { description: "how long to wait for workloads, e.g. 5m (default: the environment's verify.timeout)" },
    force: { description: "'true': promote into a pinned env", default: 'false' },
  },
  outputs: {
    commit: 'the commit at HEAD afterwards',
    changed: "'true' when a commit was made",
    pushed: "'true' when it landed on the remote",
  },
  async use(p, w) {
    // Its own --json document would interleave with the pipeline's.
    const quiet: CommandContext = { ...p.cmd, opts: { ...p.cmd.opts, json: false } };
    const images = given(w.images)
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const r = await promoteRelease(
      {
        root: p.root,
        from: w.from as string,
        to: w.to as string,
        ...(images && { images }),
        deploy: flag(w, 'deploy', 'promote', true),
        push: flag(w, 'push', 'promote', true),
        force: flag(w, 'force', 'promote', false),
        ...(given(w.timeout) && { timeout: w.timeout }),
      },
      quiet,
      p.steps,
    );
    return {
      result: r.changed || r.pushed ? 'succeeded' : 'skipped',
      outputs: { commit: r.commit, changed: String(r.changed), pushed: String(r.pushed) },
    };
  },
};
