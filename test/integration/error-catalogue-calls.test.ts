/** The error catalogue: codes no command line reaches, checked on the error thrown. */
import { describe, it } from 'vitest';
import { CALL_CASES } from './error-catalogue/call-cases.js';
import { checkCallCase } from './error-catalogue/catalogue.js';

describe('error catalogue: codes no command line reaches', () => {
  it.each(CALL_CASES.map((c) => [c.code, c] as const))('%s', async (_code, c) => checkCallCase(c));
});
