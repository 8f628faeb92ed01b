/**
 * What a built-in step is — a name, its documented inputs and outputs, and `run(rc)` — and the one
 * release context every step of a verb reads and writes, instead of per-verb state and closures.
 */
import type { MergeRequestSummary } from '../adapters/forges/index.js';
import type { GitContext } from '../adapters/git.js';
import type { Environment, ResolvedConfig } from '../core/config.js';
import type { CommandContext } from '../core/io.js';
import type { KustomizeImage } from '../core/kustomization.js';
import type { InputSpec, StepCatalogue } from '../core/pipeline-schema.js';
import type { Plan, PromoteSource } from '../core/plans.js';
import type { ReleaseRecord } from '../core/trailers.js';
import type { Verb } from '../core/verb-pipelines.js';
import type { Applied, DeployResult, LastGood } from './deploy/release.js';
import type { RunState, StepResult } from './engine/engine.js';

export type { RunState, StepResult };

export type StepOutcome = StepResult | { result: StepResult; outputs?: Record<string, string> };

/** What a release verb reports: whether it changed git, deployed, pushed, and the commit at HEAD. */
export interface ReleaseResult {
  changed: boolean;
  deployed: boolean;
  pushed: boolean;
  pushAttempts: number;
  commit: string;
}

/** One run of a verb: where it works, what it releases, and what its steps did so far. */
export interface ReleaseContext {
  cmd: CommandContext;
  verb: Verb;
  /** What the verb was asked to do (its options, checked). */
  plan: Plan;
  /** The working copy the user gave (-C): its lock, and .gitops-flow/ outputs. */
  root: string;
  /** Where the release is made: `root`, the dry run's throwaway worktree, or suggest's clone. */
  tree: string;
  /** git in `tree`. */
  git: GitContext;
  /** Known once the repo is read: from the start, or after git/clone (suggest). */
  config?: ResolvedConfig;
  env?: Environment;
  /** The branch releases land on (suggest: known after git/clone). */
  branch: string;
  /** The working copy has an origin remote. */
  remote: boolean;
  options: {
    deploy: boolean;
    push: boolean;
    /** git/sync fast-forwards the working copy first (a remote, and a push to make). */
    sync: boolean;
    /** The fetch git/sync needs, started while the working copy was checked. */
    prefetch?: Promise<void>;
    /** Deploy even when git has nothing new (restore: the cluster is what is being brought back). */
    alwaysDeploy?: boolean;
    timeoutMs?: number;
    /** A shallow clone (suggest): fetches stay shallow. */
    depth?: number;
    /** The tree is a fresh clone (suggest): its change is what to push, also in a dry run (nothing committed). */
    freshClone?: boolean;
    /** record/verified pushes the record although this run pushed nothing (deploy: the commit is shared). */
    pushRecord?: boolean;
  };
  /** The change the edit step made: the paths git/commit commits, and what its message records. */
  change: {
    paths: string[];
    record?: ReleaseRecord;
    /** The image entries the edit sets (suggest: as asked, pinned; promote: the source's). */
    entries: KustomizeImage[];
    /** The images the release sets, as reported. */
    images: Record<string, string>;
    /** promote: where the images came from. */
    source?: PromoteSource;
    /** rollback and restore: the commit whose state is brought back. */
    target?: string;
    /** restore: the paths the overlay referenced then (all brought back). */
    referenced?: string[];
  };
  /** What deploy did: the render, where it is kept, what it applied, and the render live before. */
  deployed: {
    /** The commit deployed (deploy --ref); undefined: HEAD of the tree. */
    ref?: string;
    manifest?: string;
    manifestPath: string;
    lastGood?: LastGood;
    applied?: Applied;
    result?: DeployResult;
  };
  result: ReleaseResult & { landed?: boolean };
  /** suggest: the branch it pushed and the merge request it opened. */
  suggestion?: Suggestion;
  /** The built-in steps (injected, so that a step never imports the registry that lists it). */
  steps: ReadonlyMap<string, Step>;
  /** The verb's edit steps, in order: git/push runs them again when it replays the change on a newer tip. */
  edits: Step[];
  /** git/push is replaying the change on a newer tip (the deploy step then restores a failed rollout itself). */
  replaying?: boolean;
}

export interface Suggestion {
  status: 'pushed' | 'already-suggested';
  branch: string;
  commit?: string;
  pushOptions?: string[];
  /** API mode: the merge (or pull) request opened or updated. */
  mergeRequest?: MergeRequestSummary;
}

/** A built-in step: one file in src/steps, listed once in ./registry.ts. */
export interface Step {
  name: string;
  summary: string;
  /** `with:` inputs when used on its own (`uses:` in a pipeline of gitops-flow.yaml). */
  inputs: Record<string, InputSpec>;
  outputs: Record<string, string>;
  /** Makes the change a release commits; git/push runs it again on a newer tip. */
  edits?: boolean;
  /** Inside a verb's pipeline. */
  run?(rc: ReleaseContext, state: RunState): Promise<StepOutcome>;
  /** With `uses:` in a pipeline of gitops-flow.yaml (standalone). */
  use?(p: PipelineRun, inputs: Record<string, string>, state: RunState): Promise<StepOutcome>;
}

/** What the standalone steps of one pipeline run share. */
export interface PipelineRun {
  cmd: CommandContext;
  root: string;
  config: ResolvedConfig;
  /** The built-in steps (injected: a step that runs a verb's pipeline finds its steps here). */
  steps: ReadonlyMap<string, Step>;
  /** What the last `deploy` step applied, which `restore-last-good` puts back after a failure. */
  lastApplied?: Applied;
}

/** The config of a release context, once known. */
export function configOf(rc: ReleaseContext): ResolvedConfig {
  if (!rc.config) throw new Error(`${rc.verb}: a step needs the config before it is read`);
  return rc.config;
}

/** The environment a release context releases, once known. */
export function envOf(rc: ReleaseContext): Environment {
  if (!rc.env) throw new Error(`${rc.verb}: a step needs the environment before it is known`);
  return rc.env;
}

/** The plan of `verb`, or a bug when a step of another verb's pipeline reads it. */
export function planOf<V extends Plan['verb']>(rc: ReleaseContext, verb: V): Extract<Plan, { verb: V }> {
  if (rc.plan.verb !== verb) throw new Error(`a ${verb} step ran in the ${rc.plan.verb} pipeline`);
  return rc.plan as Extract<Plan, { verb: V }>;
}

/** What config validation needs of the steps: names, `with:` inputs, and which are standalone. */
export function catalogueOf(steps: ReadonlyMap<string, Step>): StepCatalogue {
  return new Map(
    [...steps.values()].map((s) => [s.name, { name: s.name, inputs: s.inputs, standalone: s.use !== undefined }]),
  );
}

/** What an edit step ends with: the paths to commit, and whether it changed anything. */
export function edited(rc: ReleaseContext, paths: string[]): StepOutcome {
  rc.change.paths = paths;
  rc.result.changed = paths.length > 0;
  return rc.result.changed ? 'succeeded' : 'skipped';
}
