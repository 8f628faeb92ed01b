/**
 * What each verb was asked to do, checked before anything runs (pure), and the lines that say what it
 * did. The verbs (src/commands) and the standalone steps that run a verb's pipeline (`uses: promote`)
 * share these, so both check and report alike.
 */
import { type Environment, getEnvironment, type ResolvedConfig } from './config.js';
import { invalid, quote } from './errors.js';
import type { KustomizeImage } from './kustomization.js';
import type { UpstreamTrace } from './trailers.js';

export interface SuggestPlan {
  verb: 'suggest';
  envRepo: string;
  /** The env name (its config is read from the clone). */
  env: string;
  images: KustomizeImage[];
  targetBranch?: string;
  pushToTarget: boolean;
  force: boolean;
  pinDigest: boolean;
  /** Set images no workload of the render runs (as set). */
  allowUnused?: boolean;
  upstream: UpstreamTrace;
  mergeRequest?: string;
}

export interface PromotePlan {
  verb: 'promote';
  from: Environment;
  /** Only these image names (default: every image of the source overlay). */
  only?: string[];
  force: boolean;
  /** Set images no workload of the target's render runs (as set). */
  allowUnused?: boolean;
  /** Change the target overlay even when other envs' renders read it. */
  includeShared?: boolean;
}

export type Plan =
  | SuggestPlan
  | { verb: 'deploy'; ref: string }
  | PromotePlan
  | { verb: 'rollback'; to?: string; reason?: string; includeShared?: boolean }
  | { verb: 'restore'; at: string; includeShared?: boolean }
  | { verb: 'unpin' };

/** Where promoted images came from: the source overlay at the tip, or its last verified deploy. */
export interface PromoteSource {
  kind: 'tip' | 'verified';
  commit: string;
  verifiedAt?: string;
}

/** The two environments of a promotion, or exit 2 when they are the same or the order forbids it. */
export function promotionOf(
  config: ResolvedConfig,
  o: { from: string; to: string },
): { from: Environment; to: Environment } {
  const from = getEnvironment(config, o.from);
  const to = getEnvironment(config, o.to);
  if (from.name === to.name)
    throw invalid(
      'PROMOTE_SAME_ENV',
      `Cannot promote ${quote(from.name)} to itself.`,
      'Pass two different environments.',
    );
  if (to.promoteFrom && !to.promoteFrom.includes(from.name)) {
    throw invalid(
      'PROMOTE_NOT_ALLOWED',
      `${to.name} may not be promoted from ${from.name}.`,
      to.promoteFrom.length
        ? `Promote ${to.name} from ${to.promoteFrom.join(' or ')}, or add ${from.name} to environments.${to.name}.promoteFrom in gitops-flow.yaml.`
        : `${to.name} is first in the promotion order; it receives images through suggest.`,
      `${from.name} → ${to.name}`,
    );
  }
  return { from, to };
}

/** The source images to copy; `only` names a subset, each of which must exist. */
export function selectImages(all: KustomizeImage[], only: string[] | undefined, env: string): KustomizeImage[] {
  if (all.length === 0)
    throw invalid(
      'NOTHING_TO_PROMOTE',
      `The overlay of ${env} sets no images.`,
      `Set images in ${env} first (suggest, or kustomize edit set image).`,
      env,
    );
  if (!only || only.length === 0) return all;
  const missing = only.filter((n) => !all.some((i) => i.name === n));
  if (missing.length > 0) {
    throw invalid(
      'IMAGE_NOT_IN_SOURCE',
      `${env} has no image named ${missing.map((m) => quote(m)).join(', ')}.`,
      `Use one of: ${all.map((i) => i.name).join(', ')}.`,
      missing.join(','),
    );
  }
  return all.filter((i) => only.includes(i.name));
}

/** A restore point given as an ISO-8601 time rather than a commit. */
export const isTime = (at: string) => /^\d{4}-\d{2}-\d{2}/.test(at);

interface Outcome {
  changed: boolean;
  deployed: boolean;
  pushed: boolean;
}

/** The line promote ends with. */
export function promoteSummary(
  p: { from: string; to: string; images: Record<string, string>; dryRun: boolean },
  r: Outcome,
): string {
  const list = Object.entries(p.images)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return p.dryRun
    ? `Dry run: would promote ${p.from} → ${p.to}: ${list}${r.changed ? '' : ' (no change)'}; nothing was changed.`
    : r.changed || r.pushed
      ? `Promoted ${p.from} → ${p.to}: ${list}${r.deployed ? ', verified' : ''}${r.pushed ? ', pushed' : ''}.`
      : `No change: ${p.to} already has ${p.from}'s images.`;
}

/** The line rollback ends with. */
export function rollbackSummary(env: string, target: string, r: Outcome): string {
  return r.changed
    ? `Rolled back ${env} to ${target.slice(0, 12)}${r.deployed ? ', verified' : ''}${r.pushed ? ', pushed' : ''}; ${env} is pinned (gitops-flow unpin --env ${env} to release it).`
    : `No change: ${env}'s overlay already equals ${target.slice(0, 12)}.`;
}
