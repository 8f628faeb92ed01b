/** The error catalogue, through the CLI: digest pinning against a registry. */
import { describe, it } from 'vitest';
import { checkCliCase } from './error-catalogue/catalogue.js';
import { REGISTRY_CASES } from './error-catalogue/registry-cases.js';

describe('error catalogue: digest pinning', () => {
  it.each(REGISTRY_CASES.map((c) => [c.code, c] as const))('%s', async (_code, c) => checkCliCase(c));
});
