/**
 * The reliability figures the tests measure, written as JSON to test/results/<name>.json (gitignored)
 * so `npm run reliability` can render docs/dev/reliability.md's table from what actually ran.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './git-fixtures.js';

export const RESULTS_DIR = join(REPO_ROOT, 'test', 'results');

/** Prints `<name>: {…}` and writes it, with the time and whether this was a soak run, to test/results/<name>.json. */
export function recordFigures(name: string, figures: Record<string, unknown>): void {
  console.log(`${name}: ${JSON.stringify(figures)}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const record = {
    name,
    at: new Date().toISOString(),
    soak: process.env.GITOPS_FLOW_SOAK === '1',
    canary: process.env.GITOPS_FLOW_CANARY === '1',
    figures,
  };
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
}
