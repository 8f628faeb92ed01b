/**
 * Runs a resolved pipeline the way GitHub Actions runs a job: steps in order, each with its `if:`
 * (default `success()`), `timeout:`, `retries:`, `continue-on-error:` and outputs. After a step fails
 * only steps whose condition calls `failure()` or `always()` run; then the first failure is rethrown.
 * Each step's output goes in a section of its own (collapsible in GitLab CI); its result line comes
 * after the section, so it stays visible when the section is collapsed.
 */

import { clampTimeout } from '../../core/bounds.js';
import { failed, type GitopsError } from '../../core/errors.js';
import { conditionHolds, type Expr, type Scope } from '../../core/expressions.js';
import type { Logger } from '../../core/io.js';

export type StepResult = 'succeeded' | 'skipped';

/** What a running step sees: the expression scope, and the failure that made a `failure()` step run. */
export interface RunState {
  scope: Scope;
  error?: unknown;
}

export interface EngineStep {
  id?: string;
  /** Shown in the log, e.g. `git/commit` or `Smoke test`. */
  name: string;
  condition?: { expr: Expr; text: string };
  continueOnError?: boolean;
  timeoutMs?: number;
  retries?: number;
  run(state: RunState): Promise<StepResult | { result: StepResult; outputs?: Record<string, string> }>;
}

export interface StepReport {
  id?: string;
  name: string;
  /** `not-run`: its condition did not hold. */
  result: StepResult | 'failed' | 'not-run';
  ms: number;
  attempts: number;
  outputs: Record<string, string>;
}

/** Runs the steps; returns what each did, or throws the first failure once the failure steps ran. */
export async function runPipeline(steps: EngineStep[], scope: Scope, log: Logger): Promise<StepReport[]> {
  const reports: StepReport[] = [];
  const state: RunState = { scope };
  for (const step of steps) {
    const record = (r: Omit<StepReport, 'name' | 'id'>, outcome: string) => {
      reports.push({ ...(step.id && { id: step.id }), name: step.name, ...r });
      if (step.id) scope.steps[step.id] = { outputs: r.outputs, outcome };
    };
    const holds = step.condition ? conditionHolds(step.condition.expr, scope) : scope.status === 'success';
    if (!holds) {
      // Not an event worth a line: a failure path that was not needed, a condition that did not hold.
      log.debug(`- ${step.name}: not run (if: ${step.condition?.text ?? 'success()'})`);
      record({ result: 'not-run', ms: 0, attempts: 0, outputs: {} }, 'skipped');
      continue;
    }
    const start = performance.now();
    const endSection = log.section?.(step.name, step.name) ?? (() => {});
    const attempts = 1 + (step.retries ?? 0);
    let attempt = 0;
    for (;;) {
      attempt++;
      try {
        const r = await withTimeout(step, state);
        const { result, outputs = {} } = typeof r === 'string' ? { result: r } : r;
        const ms = Math.round(performance.now() - start);
        record({ result, ms, attempts: attempt, outputs }, result === 'skipped' ? 'skipped' : 'success');
        endSection();
        const c = log.color;
        log.info(
          result === 'skipped'
            ? c.dim(`- ${step.name}: nothing to do`)
            : `${c.green('✓')} ${step.name} ${c.dim(`(${ms} ms)`)}`,
        );
        break;
      } catch (e) {
        if (attempt < attempts) {
          log.info(
            `  ${step.name} failed (${e instanceof Error ? e.message : String(e)}); attempt ${attempt + 1} of ${attempts}`,
          );
          continue;
        }
        record(
          { result: 'failed', ms: Math.round(performance.now() - start), attempts: attempt, outputs: {} },
          'failure',
        );
        endSection();
        if (step.continueOnError) {
          log.info(
            `${log.color.yellow('✗')} ${step.name} ${log.color.dim('(continue-on-error)')}: ${e instanceof Error ? e.message : String(e)}`,
          );
        } else {
          log.info(`${log.color.red('✗')} ${step.name}`);
          if (scope.status === 'success') state.error = e;
          scope.status = 'failure';
        }
        break;
      }
    }
  }
  if (scope.status === 'failure') throw state.error;
  return reports;
}

function withTimeout(step: EngineStep, state: RunState): ReturnType<EngineStep['run']> {
  if (!step.timeoutMs) return step.run(state);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(stepFailed(step.name, `timed out after ${step.timeoutMs} ms`)),
      clampTimeout(step.timeoutMs as number),
    );
  });
  return Promise.race([step.run(state), expired]).finally(() => clearTimeout(timer));
}

/** A step of a pipeline failed (a command exited non-zero, or ran out of time). */
export function stepFailed(name: string, why: string, details?: string[]): GitopsError {
  return failed(
    'STEP_FAILED',
    `Step ${JSON.stringify(name)} ${why}.`,
    'Fix what the step reports (its output is above), or give it retries:, a longer timeout: or continue-on-error: true.',
    details,
  );
}
