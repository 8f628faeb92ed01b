/**
 * Issue 16, reproduction 7: a token with an interior CR/LF was masked on stderr but printed in
 * `--json` stdout, where JSON escaping had changed its bytes before the scrubber saw them.
 */
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { EXAMPLE_ENV_REPO } from '../helpers/git-fixtures.js';

const TOKEN = 'glpat-interior\r\nnewline-canary-4242';

describe('secrets are scrubbed before encoding', () => {
  it('a token with CR/LF echoed as a value is masked on stderr and in --json stdout', async () => {
    const r = await runCli(['-C', EXAMPLE_ENV_REPO, '--json', 'render', '--env', `x${TOKEN}`], {
      env: cleanEnv({ GITOPS_FLOW_GIT_TOKEN: TOKEN }),
    });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('ENV_UNKNOWN');
    for (const out of [r.stdout, r.stderr]) {
      expect(out).toContain('[MASKED]');
      expect(out).not.toMatch(/interior|newline-canary/);
    }
  });
});
