/**
 * suggest --merge-request api and deploy's merge request comment against a STUB of the forge: a local
 * HTTP server that is the env repo's real git remote (git http-backend) and serves GitLab's REST API v4
 * with documented response bodies (test/helpers/forge-stub.ts). Asserts the requests we send.
 *
 * This file: deploy comments the result.
 */
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { type ForgeStub, type RecordedRequest, stubPerTest } from '../helpers/forge-stub.js';
import { exampleFiles, gitSync, makeRepo } from '../helpers/git-fixtures.js';

/** A canary: it must never appear in output, URLs or errors. */
const TOKEN = 'glpat-CANARY-7f3e9a1c5b2d';

const setup = stubPerTest({ kind: 'gitlab', project: 'group/env', token: TOKEN });
/** A recorded request's JSON body, typed for the assertion. */
const bodyOf = <T>(r: RecordedRequest | undefined): T => (r?.body ?? {}) as T;
const api = (s: ForgeStub) => s.requests.filter((r) => r.url.startsWith('/api/'));

function expectNoTokenLeak(r: { stdout: string; stderr: string }, s: ForgeStub): void {
  expect(r.stdout + r.stderr).not.toContain(TOKEN);
  for (const req of s.requests) expect(req.url).not.toContain(TOKEN);
}

describe('GitLab API (stub of the forge): deploy comments the result on the merge request', () => {
  const mrEnv = (s: ForgeStub, extra: NodeJS.ProcessEnv = {}) =>
    cleanEnv({
      GITLAB_CI: 'true',
      CI_SERVER_URL: s.url,
      CI_API_V4_URL: `${s.url}/api/v4`,
      CI_PROJECT_ID: '42',
      CI_MERGE_REQUEST_IID: '1',
      CI_JOB_URL: `${s.url}/group/env/-/jobs/99`,
      CI_COMMIT_SHA: 'feedc0de'.repeat(5),
      GITLAB_TOKEN: TOKEN,
      ...extra,
    });
  /** The example env repo in API mode (deploy comments only then), with `overrides`. */
  const apiRepo = (overrides: Record<string, string> = {}) => {
    const files = exampleFiles(overrides);
    return makeRepo({
      ...files,
      'gitops-flow.yaml': (files['gitops-flow.yaml'] as string).replace(
        '  mergeRequest:\n',
        '  mergeRequest:\n    mode: api\n',
      ),
    });
  };
  const openMr = (s: ForgeStub) =>
    s.changes.push({
      iid: 1,
      title: 't',
      description: '',
      state: 'opened',
      source_branch: 'b',
      target_branch: 'main',
      labels: [],
      assignee_ids: [],
      remove_source_branch: true,
      auto_merge: true,
      notes: [],
    });

  it('on failure: the reason, the code and the job; the deploy still fails with its own error', async () => {
    const { stub: s } = await setup();
    openMr(s);
    const dir = apiRepo({ 'kustomizations/base/kustomization.yaml': 'resources: [missing.yaml]\n' });
    const r = await runCli(['-C', dir, 'deploy', '--env', 'dev'], { env: mrEnv(s) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[RENDER_FAILED]');
    expect(r.stderr).toContain('Commented the result on merge request !1');
    const note = api(s).find((q) => q.method === 'POST' && q.url === '/api/v4/projects/42/merge_requests/1/notes');
    expect(note?.headers['private-token']).toBe(TOKEN);
    const body = bodyOf<{ body: string }>(note).body;
    expect(body).toMatch(/^❌ gitops-flow could not deploy \*\*dev\*\* at `feedc0defeed` \(after \d+\.\d s\)\.\n/);
    expect(body).toMatch(
      /\*\*RENDER_FAILED\*\*: kustomize build of "kustomizations\/overlays\/dev" at [0-9a-f]{40} failed\./,
    );
    expect(body).toContain('missing.yaml');
    expect(body).toContain(`Job: ${s.url}/group/env/-/jobs/99`);
    expectNoTokenLeak(r, s);
  });

  it('a comment that cannot be posted is a warning; the deploy result stands', async () => {
    const { stub: s } = await setup();
    openMr(s);
    const dir = apiRepo({ 'kustomizations/base/kustomization.yaml': 'resources: [missing.yaml]\n' });
    const r = await runCli(['-C', dir, 'deploy', '--env', 'dev'], {
      env: mrEnv(s, { GITLAB_TOKEN: 'glpat-WRONG-canary-1111' }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[RENDER_FAILED]');
    expect(r.stderr).toContain(
      'warning: could not comment on the merge request 1: GitLab refused the token in GITLAB_TOKEN',
    );
    expect(r.stderr).not.toContain('glpat-WRONG-canary-1111');
    expect(s.changes[0]?.notes).toEqual([]);
  });

  it('with push options (the default mode) nothing is commented: that token may push, not comment', async () => {
    const { stub: s } = await setup();
    openMr(s);
    const dir = makeRepo(exampleFiles({ 'kustomizations/base/kustomization.yaml': 'resources: [missing.yaml]\n' }));
    const r = await runCli(['-C', dir, 'deploy', '--env', 'dev'], { env: mrEnv(s) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[RENDER_FAILED]');
    expect(api(s)).toEqual([]);
  });

  it('outside a merge request pipeline nothing is commented', async () => {
    const { stub: s } = await setup();
    const dir = apiRepo({ 'kustomizations/base/kustomization.yaml': 'resources: [missing.yaml]\n' });
    const r = await runCli(['-C', dir, 'deploy', '--env', 'dev'], {
      env: mrEnv(s, { CI_MERGE_REQUEST_IID: undefined }),
    });
    expect(r.code).toBe(1);
    expect(api(s)).toEqual([]);
    expect(gitSync(dir, ['status', '--porcelain'])).toBe('');
  });
});
