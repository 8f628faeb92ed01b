/** The error catalogue, through the CLI: merge requests through the forge's API. */
import { describe, it } from 'vitest';
import { checkCliCase } from './error-catalogue/catalogue.js';
import { FORGE_CASES } from './error-catalogue/forge-cases.js';

describe('error catalogue: forges', () => {
  it.each(FORGE_CASES.map((c) => [c.code, c] as const))('%s', async (_code, c) => checkCliCase(c));
});
