/**
 * The schema of `pipelines:` and `hooks:` in gitops-flow.yaml (plugged into ./config-schema.ts),
 * and the checks a schema cannot express: known steps and inputs, expressions that parse and read only
 * earlier steps, unique ids, no cycles between pipelines. `pipelineProblems` lists every one at once.
 */
import { z } from 'zod';
import { own } from './bounds.js';
import { quote } from './errors.js';
import { type Expr, ExpressionError, parseCondition, templateExpressions, walk } from './expressions.js';
import { HOOK_VERBS, type HookVerb, PIPELINE_PREFIX, VERBS, type Verb } from './verbs.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const duration = z.string().regex(/^(\d+(ms|s|m|h))+$/, 'a duration like 90s, 5m or 1h30m');
const varName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name (letters, digits, _)');
export const idPattern = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export const stepSchema = z
  .strictObject({
    id: z
      .string()
      .regex(idPattern, 'an id is letters, digits, "_" and "-", starting with a letter')
      .optional()
      .describe('name that later steps use in steps.<id>.outputs'),
    name: z.string().min(1).optional().describe('shown in the log; default: the id, the built-in or the command'),
    uses: z.string().min(1).optional().describe('a built-in step (gitops-flow pipelines show) or pipeline/<name>'),
    with: z.record(z.string(), scalar).optional().describe('inputs of the built-in step; values may use ${{ }}'),
    run: z
      .union([z.string().min(1), z.array(scalar).min(1)])
      .optional()
      .describe('an argv list (no shell), or the path of an executable script in the env repo'),
    image: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$/,
        'an image pinned by digest, e.g. alpine:3.20@sha256:<64 hex> (the step must run the same bytes everywhere)',
      )
      .optional()
      .describe('run the run: step in this container image (pinned by digest) through a Dagger engine'),
    env: z.record(varName, scalar).optional().describe('environment variables of a run: step; values may use ${{ }}'),
    secrets: z
      .array(varName)
      .optional()
      .describe('credential variables this run: step may read; every other one is removed'),
    if: z
      .union([z.string().min(1), z.boolean()])
      .optional()
      .describe("run only when this holds, e.g. failure() or ${{ inputs.env == 'prod' }}"),
    'continue-on-error': z.boolean().optional().describe('a failure of this step does not fail the pipeline'),
    timeout: duration.optional().describe('fail the step after this long'),
    retries: z.number().int().min(0).max(10).optional().describe('run a failed step again up to this many times'),
  })
  .describe('a step: `uses:` a built-in with `with:` inputs, or `run:` a command')
  .meta({ id: 'step' });

export type StepDef = z.infer<typeof stepSchema>;

const inputSchema = z.strictObject({
  description: z.string().optional(),
  required: z.boolean().optional(),
  default: scalar.optional(),
});

export const pipelineSchema = z.strictObject({
  description: z.string().optional(),
  inputs: z
    .record(z.string().regex(idPattern, 'an input name is letters, digits, "_" and "-"'), inputSchema)
    .optional()
    .describe('--input name=value'),
  environment: z
    .string()
    .optional()
    .describe('the environment that `environment.*` reads when --env is not given; may use ${{ inputs.x }}'),
  steps: z.array(stepSchema).min(1),
});

export type PipelineDef = z.infer<typeof pipelineSchema>;

const stepList = z.array(stepSchema);
const hookPoints = z.strictObject({
  before: z.record(z.string(), stepList).optional().describe('steps run before the named step of the verb'),
  after: z
    .record(z.string(), stepList)
    .optional()
    .describe('steps run after the named step of the verb (`verify`: after deploy has verified)'),
});

export const hooksSchema = z
  .strictObject(
    Object.fromEntries(HOOK_VERBS.map((v) => [v, hookPoints.optional()])) as Record<
      HookVerb,
      z.ZodOptional<typeof hookPoints>
    >,
  )
  .describe('steps added before/after the steps of a built-in verb')
  .meta({ id: 'hooks' });

export type HooksDef = z.infer<typeof hooksSchema>;

/** A step with where it came from, for messages: `pipelines.release.steps.2`. */
interface Located {
  at: string;
  step: StepDef;
}

export interface InputSpec {
  description: string;
  required?: boolean;
  default?: string;
}

/** What validation knows of a built-in step (src/steps/registry.ts is the list). */
export interface StepSpec {
  name: string;
  inputs: Record<string, InputSpec>;
  /** Usable with `uses:` in a pipeline of gitops-flow.yaml. */
  standalone: boolean;
}

/** The built-in steps by name, in the order `pipelines list` shows them. */
export type StepCatalogue = ReadonlyMap<string, StepSpec>;

/**
 * Every problem of the pipelines and hooks of a parsed config, each naming the field. `anchors(verb)`
 * are the step names a hook may attach to (from ./verb-pipelines.ts, passed in to avoid an import cycle);
 * `catalogue` the built-in steps (from src/steps, which core does not import).
 */
export function pipelineProblems(
  pipelines: Record<string, PipelineDef> | undefined,
  hooks: { at: string; hooks: HooksDef }[],
  anchors: (verb: Verb) => string[],
  catalogue: StepCatalogue,
): string[] {
  const problems: string[] = [];
  for (const [name, p] of Object.entries(pipelines ?? {})) {
    if (!idPattern.test(name)) problems.push(`pipelines.${name}: a pipeline name is letters, digits, "_" and "-"`);
    if ((VERBS as readonly string[]).includes(name))
      problems.push(
        `pipelines.${name}: ${JSON.stringify(name)} is a built-in verb; name the pipeline differently (its steps can be extended with hooks.${name})`,
      );
    const inputs = Object.keys(p.inputs ?? {});
    if (p.environment !== undefined)
      problems.push(...expressionProblems(`pipelines.${name}.environment`, p.environment, { inputs, steps: [] }));
    problems.push(
      ...stepsProblems(
        p.steps.map((step, i) => ({ at: `pipelines.${name}.steps.${i}`, step })),
        { inputs, pipelines, catalogue },
      ),
    );
  }
  problems.push(...cycleProblems(pipelines ?? {}));
  for (const { at, hooks: h } of hooks) {
    for (const verb of HOOK_VERBS) {
      for (const when of ['before', 'after'] as const) {
        for (const [anchor, steps] of Object.entries(h[verb]?.[when] ?? {})) {
          const where = `${at}.${verb}.${when}.${anchor}`;
          if (!anchors(verb).includes(anchor))
            problems.push(
              `${where}: ${verb} has no step ${JSON.stringify(anchor)} (have: ${anchors(verb).join(', ')})`,
            );
          // Hook steps read the verb's inputs (env, …) and the ids of the verb's own steps are not addressable.
          problems.push(
            ...stepsProblems(
              steps.map((step, i) => ({ at: `${where}.${i}`, step })),
              { inputs: ['env', 'from', 'to', 'ref'], pipelines, catalogue, hook: true },
            ),
          );
          steps.forEach((step, i) => {
            // A verb runs only run: steps in its hooks (its own steps are the uses: ones).
            if (step.uses !== undefined)
              problems.push(
                `${where}.${i}.uses: a hook runs commands (run:); to run ${step.uses}, write a pipeline (pipelines.<name>) and gitops-flow run it`,
              );
            // An after: hook runs only when its step succeeded, so a status function there would never hold.
            if (when === 'after' && typeof step.if === 'string' && /\b(failure|cancelled)\s*\(/.test(step.if)) {
              problems.push(
                `${where}.${i}.if: an after: hook runs only when ${anchor} succeeded, so failure() never holds here; to act on a failure, attach it after: a later step with if: failure()`,
              );
            }
          });
        }
      }
    }
  }
  return problems;
}

function stepsProblems(
  steps: Located[],
  c: { inputs: string[]; pipelines: Record<string, PipelineDef> | undefined; catalogue: StepCatalogue; hook?: boolean },
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { at, step } of steps) {
    if ((step.uses === undefined) === (step.run === undefined))
      problems.push(`${at}: a step has exactly one of uses: or run:`);
    if (step.id !== undefined) {
      if (seen.has(step.id))
        problems.push(`${at}.id: ${JSON.stringify(step.id)} is used by an earlier step; ids are unique in a pipeline`);
      seen.add(step.id);
    }
    if (step.uses !== undefined) problems.push(...usesProblems(at, step, c));
    if (step.run !== undefined) {
      if (step.with) problems.push(`${at}.with: only uses: steps take with: (a run: step takes env:)`);
      if (typeof step.run === 'string' && /\s/.test(step.run.trim()) && !step.run.includes('${{')) {
        problems.push(
          `${at}.run: a string is the path of a script in the env repo; write a command with arguments as a list, e.g. [curl, -fsS, https://…]`,
        );
      }
    } else {
      for (const f of ['env', 'secrets', 'image'] as const)
        if (step[f]) problems.push(`${at}.${f}: only run: steps take ${f}: (a uses: step takes with:)`);
      // A built-in step cannot be stopped half-way (a deploy half-applied): it takes its own timeout input.
      if (step.timeout)
        problems.push(
          `${at}.timeout: only run: steps take timeout:; give ${step.uses} its own (with: { timeout: ${step.timeout} }) where it has one`,
        );
    }
    const earlier = [...seen].filter((id) => id !== step.id);
    const scope = { inputs: c.inputs, steps: earlier };
    if (typeof step.if === 'string') problems.push(...expressionProblems(`${at}.if`, step.if, scope, true));
    const texts: [string, string][] = [
      ...Object.entries(step.with ?? {}).map(([k, v]) => [`${at}.with.${k}`, String(v)] as [string, string]),
      ...Object.entries(step.env ?? {}).map(([k, v]) => [`${at}.env.${k}`, String(v)] as [string, string]),
      ...[step.run ?? []]
        .flat()
        .map((a, i) => [Array.isArray(step.run) ? `${at}.run.${i}` : `${at}.run`, String(a)] as [string, string]),
    ];
    for (const [where, text] of texts) problems.push(...expressionProblems(where, text, scope));
  }
  return problems;
}

function usesProblems(
  at: string,
  step: StepDef,
  c: { pipelines: Record<string, PipelineDef> | undefined; catalogue: StepCatalogue; hook?: boolean },
): string[] {
  const uses = step.uses as string;
  const given = Object.keys(step.with ?? {});
  if (uses.startsWith(PIPELINE_PREFIX)) {
    const target = own(c.pipelines, uses.slice(PIPELINE_PREFIX.length));
    if (!target)
      return [
        `${at}.uses: no pipeline ${JSON.stringify(uses.slice(PIPELINE_PREFIX.length))} (have: ${Object.keys(c.pipelines ?? {}).join(', ') || 'none'})`,
      ];
    const declared = Object.keys(target.inputs ?? {});
    return [
      ...given
        .filter((k) => !declared.includes(k))
        .map(
          (k) => `${at}.with.${k}: ${uses} has no input ${JSON.stringify(k)} (have: ${declared.join(', ') || 'none'})`,
        ),
      ...Object.entries(target.inputs ?? {})
        .filter(([k, spec]) => spec.required && !given.includes(k))
        .map(([k]) => `${at}.with.${k}: ${uses} requires input ${JSON.stringify(k)}`),
    ];
  }
  const builtin = c.catalogue.get(uses);
  const standalone = [...c.catalogue.values()].filter((b) => b.standalone).map((b) => b.name);
  if (!builtin)
    return [`${at}.uses: unknown step ${JSON.stringify(uses)} (have: ${standalone.join(', ')}, pipeline/<name>)`];
  if (!builtin.standalone)
    return [
      `${at}.uses: ${uses} is a step inside a verb, not usable on its own (have: ${standalone.join(', ')}); attach to it with hooks.<verb>.before/after`,
    ];
  const problems: string[] = [];
  const declared = Object.keys(builtin.inputs);
  for (const k of given)
    if (!declared.includes(k))
      problems.push(
        `${at}.with.${k}: ${uses} has no input ${JSON.stringify(k)} (have: ${declared.join(', ') || 'none'})`,
      );
  for (const [k, spec] of Object.entries(builtin.inputs))
    if (spec.required && !given.includes(k))
      problems.push(`${at}.with.${k}: ${uses} requires input ${JSON.stringify(k)}`);
  return problems;
}

/** Parse errors, unknown inputs and steps not (yet) run, in one string's expressions. */
function expressionProblems(
  at: string,
  text: string,
  scope: { inputs: string[]; steps: string[] },
  condition = false,
): string[] {
  let exprs: Expr[];
  try {
    exprs = condition ? [parseCondition(text)] : templateExpressions(text);
  } catch (e) {
    if (e instanceof ExpressionError) return [`${at}: ${e.message} in ${quote(text)}`];
    throw e;
  }
  const problems: string[] = [];
  for (const node of exprs.flatMap(walk)) {
    if (node.kind !== 'path') continue;
    const [ctx, name, field] = node.parts;
    if (ctx === 'inputs' && name !== undefined && !scope.inputs.includes(name))
      problems.push(
        `${at}: inputs.${name} is not an input of the pipeline (have: ${scope.inputs.join(', ') || 'none'})`,
      );
    if (ctx === 'steps' && name !== undefined && !scope.steps.includes(name))
      problems.push(
        `${at}: steps.${name} is not the id of an earlier step (have: ${scope.steps.join(', ') || 'none'})`,
      );
    if (ctx === 'steps' && field !== undefined && !['outputs', 'outcome'].includes(field))
      problems.push(`${at}: steps.${name}.${field}: a step has outputs and outcome`);
  }
  return problems;
}

/** Pipelines that use each other in a circle (`uses: pipeline/<name>`), each circle named once. */
function cycleProblems(pipelines: Record<string, PipelineDef>): string[] {
  const edges = (name: string) =>
    (own(pipelines, name)?.steps ?? [])
      .map((s) => s.uses ?? '')
      .filter((u) => u.startsWith(PIPELINE_PREFIX))
      .map((u) => u.slice(PIPELINE_PREFIX.length))
      .filter((n) => Object.hasOwn(pipelines, n));
  const problems: string[] = [];
  const done = new Set<string>();
  const visit = (name: string, path: string[]) => {
    if (path.includes(name)) {
      const cycle = [...path.slice(path.indexOf(name)), name];
      problems.push(`pipelines.${cycle[0]}: pipelines use each other in a cycle: ${cycle.join(' → ')}`);
      return;
    }
    if (done.has(name)) return;
    for (const next of edges(name)) visit(next, [...path, name]);
    done.add(name);
  };
  for (const name of Object.keys(pipelines)) visit(name, []);
  return problems;
}
