/**
 * Flows are lists of named steps. A step returns `skipped` when it finds nothing to do (and a test
 * proves it), `succeeded` otherwise; a step that fails throws a GitopsError, which stops the flow.
 */
import type { Logger } from './io.js';

export type StepResult = 'succeeded' | 'skipped';

export interface Step<C> {
  /** Stable name, e.g. `images/set`, `git/commit`, `render`, `apply`, `verify`, `git/push`. */
  name: string;
  run(ctx: C): Promise<StepResult>;
}

export interface StepReport {
  name: string;
  result: StepResult | 'failed';
  ms: number;
}

/**
 * Runs the steps in order, logging each; returns what each did. Rethrows the first failure. Each step's
 * output goes in a section of its own (collapsible in GitLab CI); its result line comes after the
 * section, so it stays visible when the section is collapsed.
 */
export async function runSteps<C>(steps: Step<C>[], ctx: C, log: Logger): Promise<StepReport[]> {
  const reports: StepReport[] = [];
  for (const step of steps) {
    const start = performance.now();
    const endSection = log.section?.(step.name, step.name) ?? (() => {});
    try {
      const result = await step.run(ctx);
      const ms = Math.round(performance.now() - start);
      reports.push({ name: step.name, result, ms });
      endSection();
      const c = log.color;
      log.info(result === 'skipped' ? c.dim(`- ${step.name}: nothing to do`) : `${c.green('✓')} ${step.name} ${c.dim(`(${ms} ms)`)}`);
    } catch (e) {
      reports.push({ name: step.name, result: 'failed', ms: Math.round(performance.now() - start) });
      endSection();
      log.info(`${log.color.red('✗')} ${step.name}`);
      throw e;
    }
  }
  return reports;
}
