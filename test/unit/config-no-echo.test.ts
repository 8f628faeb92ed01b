/**
 * Issue 16: errors never echo the contents of a file that is not a valid config — a gitops-flow.yaml
 * holding /etc/passwd-like text or a credential is refused without showing it.
 */
import { describe, expect, it } from 'vitest';
import { GitopsError } from '../../src/core/errors.js';
import { parseConfig } from '../../src/steps/config.js';

const shown = (text: string): string => {
  try {
    parseConfig(text);
  } catch (e) {
    if (!(e instanceof GitopsError)) throw e;
    expect(e.code).toBe('CONFIG_INVALID');
    return [e.message, e.value ?? '', ...e.details].join('\n');
  }
  throw new Error('parsed');
};

describe('a file that is not a config is not echoed', () => {
  it.each([
    ['passwd', 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n'],
    ['a token', 'glpat-secret-never-echoed-0123'],
    ['a list', '- glpat-secret-never-echoed-0123\n'],
    ['a JSON docker config', '"{\\"auths\\":{\\"r\\":{\\"auth\\":\\"c2VjcmV0LW5ldmVyLWVjaG9lZA==\\"}}}"'],
  ])('%s', (_, text) => {
    const out = shown(text);
    expect(out).toContain('not a YAML mapping');
    expect(out).not.toMatch(/root:x|nologin|secret-never-echoed|c2VjcmV0/);
  });
});
