/** The error catalogue, through the CLI: init, tools, clusters, the command line. */
import { describe, it } from 'vitest';
import { checkCliCase } from './error-catalogue/catalogue.js';
import { TOOL_CASES } from './error-catalogue/tool-cases.js';

describe('error catalogue: init, tools, clusters, usage', () => {
  it.each(TOOL_CASES.map((c) => [c.code, c] as const))('%s', async (_code, c) => checkCliCase(c));
});
