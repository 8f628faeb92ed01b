/** The error catalogue, through the CLI: the env repo, config, rendering, pipelines, suggest. */
import { describe, it } from 'vitest';
import { checkCliCase } from './error-catalogue/catalogue.js';
import { REPO_CASES } from './error-catalogue/repo-cases.js';

describe('error catalogue: the env repo, rendering, pipelines, suggest', () => {
  it.each(REPO_CASES.map((c) => [c.code, c] as const))('%s', async (_code, c) => checkCliCase(c));
});
