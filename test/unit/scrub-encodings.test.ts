/**
 * Issue 16, reproduction 7: secrets are masked in the forms they travel in, not only as they are — a
 * token with an interior CR/LF once JSON-escaped, base64("oauth2:<token>") as git's basic auth sends
 * it (reflected by a server), URL-encoded.
 */
import { describe, expect, it } from 'vitest';
import { Scrubber } from '../../src/core/scrub.js';

const TOKEN = 'glpat-Sup3r\r\nSecret"Token\\value';
const s = new Scrubber({ GITOPS_FLOW_GIT_TOKEN: TOKEN });

describe('the scrubber masks encoded secrets', () => {
  it.each([
    ['raw', TOKEN],
    ['JSON-escaped', JSON.stringify(TOKEN)],
    ['JSON inside JSON', JSON.stringify(JSON.stringify({ v: TOKEN }))],
    ['URL-encoded', `https://x.example/?t=${encodeURIComponent(TOKEN)}`],
    ['each line of a multi-line token', TOKEN.split('\r\n').join('\n    ')],
  ])('%s', (_, text) => {
    const out = s.scrub(text);
    expect(out).toContain('[MASKED]');
    for (const part of ['Sup3r', 'Secret', 'Token']) expect(out).not.toContain(part);
  });

  it.each(['oauth2', 'x-access-token', 'gitlab-ci-token', 'u', 'ab'])(
    'base64("%s:<token>") as a basic auth header, whatever the user name length',
    (user) => {
      const token = 'glpat-canary0123456789abcdef';
      const scrubber = new Scrubber({ GITLAB_TOKEN: token });
      const header = `Authorization: Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
      const out = scrubber.scrub(header);
      expect(out).toContain('[MASKED]');
      // What is left is the user name's encoding and the group that straddles it and the token, and the last group.
      const [before = '', after = ''] = out.replace('Authorization: Basic ', '').split('[MASKED]');
      expect(before.length).toBeLessThanOrEqual(Math.ceil((user.length + 1) / 3) * 4 + 4);
      expect(after.length).toBeLessThanOrEqual(4);
    },
  );

  it('scrubValue masks strings inside a value before it is encoded', () => {
    const v = s.scrubValue({ error: { value: `x${TOKEN}y`, details: [TOKEN] }, [TOKEN]: 1 });
    expect(JSON.stringify(v)).not.toMatch(/Sup3r|Secret/);
  });

  it('leaves ordinary text alone', () => {
    const text = 'deploy dev: Deployment/web ready, image registry.example.com/app:1.2.3';
    expect(s.scrub(text)).toBe(text);
  });
});
