/**
 * From definitions to engine steps: a step of gitops-flow.yaml becomes an EngineStep (its `if:`
 * parsed, its `with:`/`run:`/`env:` interpolated when it runs), and a verb's default pipeline gets the
 * hooks of gitops-flow.yaml inserted before and after its steps, which the verb implements.
 */

import { clampTimeout, own } from '../../core/bounds.js';
import type { Environment, ResolvedConfig } from '../../core/config.js';
import { parseDuration } from '../../core/duration.js';
import { type Expr, interpolate, parseCondition, type Scope, type Value } from '../../core/expressions.js';
import type { CommandContext } from '../../core/io.js';
import type { HooksDef, StepDef } from '../../core/pipeline-schema.js';
import {
  ANCHOR_ALIASES,
  DEFAULT_PIPELINES,
  type HookVerb,
  PIPELINE_PREFIX,
  type Verb,
} from '../../core/verb-pipelines.js';
import type { PipelineRun, ReleaseContext } from '../types.js';
import { type EngineStep, runPipeline } from './engine.js';
import { requireEngineFor, runCommand, stepEnvironment } from './run-step.js';

export interface StepContext {
  ctx: CommandContext;
  /** The env repo working tree: where `run:` steps execute. */
  root: string;
  /** Undefined for suggest, which reads the config from its clone (it takes no hooks). */
  config?: ResolvedConfig;
  environment?: Environment;
  /** A pipeline of gitops-flow.yaml (gitops-flow run): what its standalone `uses:` steps share. */
  pipeline?: PipelineRun;
}

/** The name a step shows in the log. */
export function stepName(def: StepDef): string {
  return def.name ?? def.id ?? def.uses ?? [def.run ?? []].flat().map(String).join(' ');
}

function condition(def: StepDef): { expr: Expr; text: string } | undefined {
  if (def.if === undefined) return undefined;
  const text = String(def.if);
  return { expr: parseCondition(text), text };
}

/** What expressions read at the start of a run. `env` holds no credential: secrets reach a step only through `secrets:`. */
export function initialScope(c: StepContext, inputs: Record<string, Value>, pipeline: string): Scope {
  const e = c.environment;
  const env = stepEnvironment(c.ctx.io.env, [], {}) as Record<string, string>;
  return {
    inputs,
    env,
    steps: {},
    status: 'success',
    pipeline: { name: pipeline },
    environment: e ? { name: e.name, url: e.url, namespace: e.namespace, context: e.context, overlay: e.overlay } : {},
  };
}

export function toEngineStep(def: StepDef, c: StepContext): EngineStep {
  const name = stepName(def);
  const cond = condition(def);
  // A containerized step without an engine is refused when the pipeline is built, before any step runs.
  if (def.image) requireEngineFor(name, def.image, c.ctx.io.env);
  return {
    ...(def.id && { id: def.id }),
    name,
    ...(cond && { condition: cond }),
    ...(def['continue-on-error'] && { continueOnError: true }),
    // A run: step's timeout is enforced by killing its process tree (below), so a retry never overlaps it.
    ...(def.timeout && def.run === undefined && { timeoutMs: clampTimeout(parseDuration(def.timeout)) }),
    ...(def.retries && { retries: def.retries }),
    run: async (state) => {
      const text = (v: unknown) => interpolate(String(v), state.scope);
      if (def.run !== undefined) {
        const e = c.environment;
        const outputs = await runCommand(
          {
            name,
            argv: [def.run].flat().map(text),
            script: typeof def.run === 'string',
            env: Object.fromEntries(Object.entries(def.env ?? {}).map(([k, v]) => [k, text(v)])),
            secrets: def.secrets ?? [],
            root: c.root,
            ...(def.image && { image: def.image }),
            ...(def.timeout && { timeoutMs: clampTimeout(parseDuration(def.timeout)) }),
            facts: {
              GITOPS_FLOW_PIPELINE: state.scope.pipeline.name ?? '',
              ...(e && { GITOPS_FLOW_ENVIRONMENT: e.name }),
              ...(e?.url && { GITOPS_FLOW_ENVIRONMENT_URL: e.url }),
            },
          },
          c.ctx,
        );
        return { result: 'succeeded', outputs };
      }
      const uses = def.uses as string;
      const inputs = Object.fromEntries(Object.entries(def.with ?? {}).map(([k, v]) => [k, text(v)]));
      if (uses.startsWith(PIPELINE_PREFIX)) {
        await runNamedPipeline(uses.slice(PIPELINE_PREFIX.length), inputs, c);
        return 'succeeded';
      }
      const step = c.pipeline?.steps.get(uses);
      // Config validation admits only standalone built-ins, and only in pipelines (not hooks): a bug otherwise.
      if (!c.pipeline || !step?.use) throw new Error(`uses: ${uses} is not a standalone step here`);
      return step.use(c.pipeline, inputs, state);
    },
  };
}

/** An input given as text, typed like its default: `false` for a boolean input is false, not a true string. */
export function coerceInput(v: string, like: Value | undefined): Value {
  if (typeof like === 'boolean' && (v === 'true' || v === 'false')) return v === 'true';
  if (typeof like === 'number' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return v;
}

/** Runs a pipeline of gitops-flow.yaml (inputs already checked) with its own scope. */
export async function runNamedPipeline(name: string, inputs: Record<string, Value>, c: StepContext) {
  const def = own(c.config?.pipelines, name);
  if (!def) throw new Error(`no pipeline ${name}`);
  const typed = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [
      k,
      typeof v === 'string' ? coerceInput(v, own(def.inputs, k)?.default as Value | undefined) : v,
    ]),
  );
  const withDefaults = {
    ...Object.fromEntries(
      Object.entries(def.inputs ?? {})
        .filter(([, i]) => i.default !== undefined)
        .map(([k, i]) => [k, i.default as Value]),
    ),
    ...typed,
  };
  return runPipeline(
    def.steps.map((s) => toEngineStep(s, c)),
    initialScope(c, withDefaults, name),
    c.ctx.log,
  );
}

/** The hooks of a verb: the top-level ones, then the environment's. */
function hooksOf(verb: HookVerb, c: StepContext, when: 'before' | 'after', anchor: string): StepDef[] {
  const all: (HooksDef | undefined)[] = [c.config?.hooks, c.environment?.hooks];
  return all.flatMap((h) => h?.[verb]?.[when]?.[anchor] ?? []);
}

/** Does config attach any hook to `anchor` of `verb` (`when`)? */
export function hasHooks(verb: HookVerb, c: StepContext, when: 'before' | 'after', anchor: string): boolean {
  return hooksOf(verb, c, when, anchor).length > 0;
}

/**
 * A verb's default pipeline with the hooks inserted, each built-in step found in `rc.steps` and run on
 * the release context. An `after:` hook runs only when its step did something (a deploy that had
 * nothing to do has nothing to test).
 */
export function verbSteps(verb: Verb, rc: ReleaseContext, c: StepContext): EngineStep[] {
  const steps: EngineStep[] = [];
  for (const def of DEFAULT_PIPELINES[verb].steps) {
    const uses = def.uses as string;
    const step = rc.steps.get(uses);
    if (!step?.run) throw new Error(`${verb}: no built-in step ${uses} runs in a verb`);
    const run = step.run.bind(step);
    let did = false;
    const anchors = [uses, ...Object.keys(ANCHOR_ALIASES).filter((a) => ANCHOR_ALIASES[a] === uses)];
    const hooks = (when: 'before' | 'after') =>
      verb === 'suggest' ? [] : anchors.flatMap((a) => hooksOf(verb, c, when, a));
    steps.push(...hooks('before').map((h) => toEngineStep(h, c)));
    const cond = condition(def);
    steps.push({
      name: uses,
      ...(cond && { condition: cond }),
      run: async (state) => {
        const r = await run(rc, state);
        did = (typeof r === 'string' ? r : r.result) === 'succeeded';
        return r;
      },
    });
    for (const h of hooks('after')) {
      const hook = toEngineStep(h, c);
      steps.push({ ...hook, run: (state) => (did ? hook.run(state) : Promise.resolve('skipped')) });
    }
  }
  return steps;
}
