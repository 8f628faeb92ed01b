/**
 * suggest --merge-request api and deploy's merge request comment against a STUB of the forge: a local
 * HTTP server that is the env repo's real git remote (git http-backend) and serves GitLab's REST API v4
 * with documented response bodies (test/helpers/forge-stub.ts). Asserts the requests we send.
 *
 * This file: what the API refuses.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type ForgeStub, stubPerTest } from '../helpers/forge-stub.js';
import { exampleFiles, makeRemote, snapshot } from '../helpers/git-fixtures.js';
import { api, env, IMAGE, suggest, TOKEN } from '../helpers/gitlab-suggest.js';

const setup = stubPerTest({ kind: 'gitlab', project: 'group/env', token: TOKEN });

const calls = (s: ForgeStub) => api(s).map((r) => `${r.method} ${r.url}`);
const MRS = '/api/v4/projects/group%2Fenv/merge_requests';

function expectNoTokenLeak(r: { stdout: string; stderr: string }, s: ForgeStub): void {
  expect(r.stdout + r.stderr).not.toContain(TOKEN);
  for (const req of s.requests) expect(req.url).not.toContain(TOKEN);
}

describe('GitLab API (stub of the forge): refusals', () => {
  it('401: names the variable and the scope, pushes nothing, never shows the token', async () => {
    const { remote, stub: s } = await setup();
    const r = await suggest(s, '1.4.2', [], env({ GITOPS_FLOW_GITLAB_TOKEN: 'glpat-WRONG-canary-0000' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[FORGE_AUTH_FAILED]');
    expect(r.stderr).toContain('GITOPS_FLOW_GITLAB_TOKEN');
    expect(r.stderr).toMatch(/hint: .*api scope/);
    expect(r.stderr).not.toContain('glpat-WRONG-canary-0000');
    expect(remote.pushes()).toHaveLength(0);
    expect(JSON.parse(r.stdout).error.code).toBe('FORGE_AUTH_FAILED');
    expectNoTokenLeak(r, s);
  });

  it('a token that may open but not merge (401 on auto-merge): the merge request stands, a warning, exit 0', async () => {
    const { stub: s } = await setup();
    s.fail({ method: 'PUT', path: /\/merge_requests\/1\/merge$/, status: 401, body: { message: '401 Unauthorized' } });
    const r = await suggest(s, '1.4.2');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).mergeRequest).toMatchObject({ number: 1, action: 'created', autoMerge: 'not-set' });
    expect(r.stderr).toMatch(/warning: auto-merge is not set on !1: GitLab refused the token/);
    expect(s.changes[0]?.state).toBe('opened');
    expectNoTokenLeak(r, s);
  });

  it('404: the project is not found (or the token cannot see it); nothing pushed', async () => {
    const { remote, stub: s } = await setup();
    s.fail({
      method: 'GET',
      path: /^\/api\/v4\/projects\/group%2Fenv$/,
      status: 404,
      body: { message: '404 Project Not Found' },
    });
    const r = await suggest(s, '1.4.2');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[FORGE_NOT_FOUND]');
    expect(r.stderr).toContain('404 Project Not Found');
    expect(remote.pushes()).toHaveLength(0);
  });

  it('403 after the push: says the branch exists and the merge request does not; a re-run finishes the job', async () => {
    const { remote, stub: s } = await setup();
    s.fail({ method: 'POST', path: /\/merge_requests$/, status: 403, body: { message: '403 Forbidden' } });
    const r = await runCli(
      ['suggest', '--merge-request', 'api', '--env-repo', s.repoUrl, '--env', 'dev', '--image', `${IMAGE}:1.4.2`],
      { env: env() },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error[FORGE_FORBIDDEN]: The branch was pushed, but the merge request was not opened or updated',
    );
    expect(r.stderr).toMatch(/branch gitops-flow\/dev\/\S+: pushed by this run/);
    expect(r.stderr).toContain('merge request: not opened or updated');
    expect(r.stderr).toContain('run the same suggest again');
    expect(s.changes).toHaveLength(0);
    expect(remote.pushes()).toHaveLength(1);

    const again = await suggest(s, '1.4.2');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      status: 'already-suggested',
      mergeRequest: { action: 'created', number: 1 },
    });
    expect(remote.pushes()).toHaveLength(1);
  });

  it('429: honours Retry-After and retries; gives up with FORGE_RATE_LIMITED after bounded attempts', async () => {
    const { stub: s } = await setup();
    s.fail({
      method: 'POST',
      path: /\/merge_requests$/,
      status: 429,
      headers: { 'Retry-After': '1' },
      body: 'Retry later\n',
    });
    const start = Date.now();
    const r = await suggest(s, '1.4.2');
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - start).toBeGreaterThanOrEqual(1000);
    expect(r.stderr).toMatch(/GitLab answered 429 to POST \S+; retrying in 1\.\d s/);
    expect(calls(s).filter((c) => c === `POST ${MRS}`)).toHaveLength(2);

    const { stub: s2 } = await setup();
    s2.fail({
      method: 'GET',
      path: /^\/api\/v4\/projects\/group%2Fenv$/,
      status: 429,
      headers: { 'Retry-After': '0' },
      body: 'Retry later\n',
      times: 10,
    });
    const limited = await suggest(s2, '1.4.2');
    expect(limited.code).toBe(1);
    expect(limited.stderr).toContain('error[FORGE_RATE_LIMITED]');
    expect(calls(s2)).toHaveLength(4);
  });

  it('a redirect is not followed with the token', async () => {
    const { remote, stub: s } = await setup();
    s.fail({
      method: 'GET',
      path: /^\/api\/v4\/projects\/group%2Fenv$/,
      status: 301,
      headers: { Location: 'http://127.0.0.1:1/api/v4/projects/group%2Fnew-env' },
      body: '',
    });
    const r = await suggest(s, '1.4.2');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error[FORGE_REQUEST_FAILED]: GitLab answered GET /projects/group%2Fenv with a redirect (HTTP 301)',
    );
    expect(r.stderr).toContain('Location: http://127.0.0.1:1/api/v4/projects/group%2Fnew-env');
    expect(remote.pushes()).toHaveLength(0);
  });

  it('5xx: retried with backoff', async () => {
    const { stub: s } = await setup();
    s.fail({ method: 'GET', path: /^\/api\/v4\/projects\/group%2Fenv$/, status: 502, body: 'Bad Gateway' });
    const r = await suggest(s, '1.4.2');
    expect(r.code, r.stderr).toBe(0);
    expect(calls(s)[0]).toBe('GET /api/v4/projects/group%2Fenv');
    expect(calls(s)[1]).toBe('GET /api/v4/projects/group%2Fenv');
  });

  it('a file:// env repo with --merge-request api exits 2 before cloning anything into a branch', async () => {
    const remote = makeRemote(exampleFiles());
    const before = snapshot(remote.dir);
    const r = await runCli(
      ['suggest', '--merge-request', 'api', '--env-repo', remote.url, '--env', 'dev', '--image', `${IMAGE}:1.4.2`],
      { env: env() },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[FORGE_URL_UNKNOWN]');
    expect(snapshot(remote.dir)).toBe(before);
  });
});
