/**
 * Flows are lists of named steps. A step returns `skipped` when it finds nothing to do (and a test
 * proves it), `succeeded` otherwise; a step that fails throws a GitopsError, which stops the flow.
 * The pipeline engine (src/pipelines/engine.ts) runs them; this is its plain-list form.
 */
import { emptyScope, runPipeline, type StepReport, type StepResult } from '../pipelines/engine.js';
import type { Logger } from './io.js';

export type { StepReport, StepResult };

export interface Step<C> {
  /** Stable name, e.g. `images/set`, `git/commit`, `render`, `apply`, `verify`, `git/push`. */
  name: string;
  run(ctx: C): Promise<StepResult>;
}

/** Runs the steps in order, logging each; returns what each did. Rethrows the first failure. */
export function runSteps<C>(steps: Step<C>[], ctx: C, log: Logger): Promise<StepReport[]> {
  return runPipeline(
    steps.map((s) => ({ name: s.name, run: () => s.run(ctx) })),
    emptyScope(),
    log,
  );
}
