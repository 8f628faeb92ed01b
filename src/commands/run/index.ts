/**
 * `run <pipeline> [--input k=v]… [--env <e>]`: run a pipeline of gitops-flow.yaml. With --dry-run it
 * prints the resolved plan (steps, conditions, inputs) and runs nothing.
 */

import { repoDir } from '../../adapters/repo.js';
import { own } from '../../core/bounds.js';
import { type Environment, getEnvironment, type ResolvedConfig } from '../../core/config.js';
import { invalid, quote } from '../../core/errors.js';
import { interpolate, type Value } from '../../core/expressions.js';
import type { CommandContext } from '../../core/io.js';
import type { PipelineDef } from '../../core/pipeline-schema.js';
import { loadConfig } from '../../steps/config.js';
import type { StepReport } from '../../steps/engine/engine.js';
import { coerceInput, initialScope, runNamedPipeline, type StepContext, stepName } from '../../steps/engine/resolve.js';
import { STEPS } from '../../steps/registry.js';

export interface RunOptions {
  repoDir?: string;
  pipeline: string;
  /** `name=value`, repeatable. */
  inputs?: string[];
  env?: string;
}

export interface PlannedStep {
  id: string | null;
  name: string;
  if: string | null;
  uses: string | null;
  run: string[] | null;
  with: Record<string, string>;
}

export interface RunResult {
  pipeline: string;
  environment: string | null;
  inputs: Record<string, Value>;
  dryRun: boolean;
  steps: (PlannedStep & { result: StepReport['result'] | 'planned'; outputs: Record<string, string> })[];
}

export async function run(o: RunOptions, ctx: CommandContext): Promise<RunResult> {
  const root = repoDir(ctx, o.repoDir);
  const config = await loadConfig(root);
  const def = own(config.pipelines, o.pipeline);
  if (!def) {
    const have = Object.keys(config.pipelines);
    throw invalid(
      'PIPELINE_UNKNOWN',
      `No pipeline ${quote(o.pipeline)} in gitops-flow.yaml.`,
      have.length
        ? `Use one of: ${have.join(', ')} (gitops-flow pipelines list).`
        : 'Declare it under pipelines: in gitops-flow.yaml (docs/pipelines.md).',
      o.pipeline,
    );
  }
  const inputs = resolveInputs(o.pipeline, def, o.inputs ?? []);
  const environment = pipelineEnvironment(def, o.env, inputs, config);
  const c: StepContext = {
    ctx,
    root,
    config,
    ...(environment && { environment }),
    pipeline: { cmd: ctx, root, config, steps: STEPS },
  };
  const planned = def.steps.map(
    (s): PlannedStep => ({
      id: s.id ?? null,
      name: stepName(s),
      if: s.if === undefined ? null : String(s.if),
      uses: s.uses ?? null,
      run: s.run === undefined ? null : [s.run].flat().map(String),
      with: Object.fromEntries(Object.entries(s.with ?? {}).map(([k, v]) => [k, String(v)])),
    }),
  );
  const base = { pipeline: o.pipeline, environment: environment?.name ?? null, inputs, dryRun: ctx.opts.dryRun };
  if (ctx.opts.dryRun) {
    ctx.log.info(
      `Plan of pipeline ${o.pipeline}${environment ? ` (environment ${environment.name})` : ''}; nothing is run.`,
    );
    ctx.log.info(
      `  inputs: ${
        Object.entries(inputs)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(', ') || 'none'
      }`,
    );
    const scope = initialScope(c, inputs, o.pipeline);
    planned.forEach((p, i) => {
      const what = p.uses
        ? `uses ${p.uses}${
            Object.keys(p.with).length
              ? ` with ${Object.entries(p.with)
                  .map(([k, v]) => `${k}=${safeInterpolate(v, scope)}`)
                  .join(', ')}`
              : ''
          }`
        : `run ${(p.run ?? []).map((a) => safeInterpolate(a, scope)).join(' ')}`;
      ctx.log.info(`  ${i + 1}. ${p.name}${p.id ? ` [${p.id}]` : ''}: ${what}${p.if ? ` (if: ${p.if})` : ''}`);
    });
    const out = { ...base, steps: planned.map((p) => ({ ...p, result: 'planned' as const, outputs: {} })) };
    if (ctx.opts.json) ctx.log.result(JSON.stringify(out, null, 2));
    return out;
  }
  const reports = await runNamedPipeline(o.pipeline, inputs, c);
  const out = {
    ...base,
    steps: planned.map((p, i) => ({
      ...p,
      result: reports[i]?.result ?? 'not-run',
      outputs: reports[i]?.outputs ?? {},
    })),
  };
  ctx.log.info(
    `Pipeline ${o.pipeline} succeeded: ${reports.filter((r) => r.result === 'succeeded').length} step(s) ran.`,
  );
  if (ctx.opts.json) ctx.log.result(JSON.stringify(out, null, 2));
  return out;
}

/** A value that reads step outputs is only known at run time: the plan shows the expression. */
function safeInterpolate(text: string, scope: ReturnType<typeof initialScope>): string {
  return text.includes('steps.') ? text : interpolate(text, scope);
}

/** --input name=value pairs against the pipeline's declared inputs: unknown, malformed and missing ones are exit 2, all at once. */
function resolveInputs(pipeline: string, def: PipelineDef, given: string[]): Record<string, Value> {
  const declared = def.inputs ?? {};
  const problems: string[] = [];
  const values: Record<string, Value> = {};
  for (const [k, spec] of Object.entries(declared)) if (spec.default !== undefined) values[k] = spec.default;
  for (const pair of given) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq) : '';
    if (!name) problems.push(`--input ${quote(pair)}: write name=value`);
    else if (!Object.hasOwn(declared, name))
      problems.push(
        `--input ${name}: ${pipeline} has no input ${quote(name)} (have: ${Object.keys(declared).join(', ') || 'none'})`,
      );
    else values[name] = coerceInput(pair.slice(eq + 1), declared[name]?.default);
  }
  for (const [k, spec] of Object.entries(declared))
    if (spec.required && values[k] === undefined) problems.push(`--input ${k}: required by ${pipeline}`);
  if (problems.length > 0) {
    throw invalid(
      'INPUT_INVALID',
      `The inputs of pipeline ${quote(pipeline)} have ${problems.length} problem(s).`,
      `Pass --input name=value for each declared input (gitops-flow pipelines show ${pipeline}).`,
      undefined,
      problems,
    );
  }
  return values;
}

/** The environment `environment.*` reads: --env, else the pipeline's `environment:` with its inputs. */
function pipelineEnvironment(
  def: PipelineDef,
  flag: string | undefined,
  inputs: Record<string, Value>,
  config: ResolvedConfig,
): Environment | undefined {
  if (flag) return getEnvironment(config, flag);
  if (def.environment === undefined) return undefined;
  const name = interpolate(def.environment, {
    inputs,
    env: {},
    steps: {},
    environment: {},
    pipeline: {},
    status: 'success',
  });
  return getEnvironment(config, name);
}
