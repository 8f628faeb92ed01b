/** The error catalogue, through the CLI: releases, rollback and restore. */
import { describe, it } from 'vitest';
import { checkCliCase } from './error-catalogue/catalogue.js';
import { RELEASE_CASES } from './error-catalogue/release-cases.js';

describe('error catalogue: releases', () => {
  it.each(RELEASE_CASES.map((c) => [c.code, c] as const))('%s', async (_code, c) => checkCliCase(c));
});
