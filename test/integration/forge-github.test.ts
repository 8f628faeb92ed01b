/**
 * suggest and deploy with an env repo on GitHub, against a STUB of the forge: a local HTTP server that is
 * the real git remote (git http-backend) and serves GitHub's REST API (GitHub Enterprise layout:
 * /api/v3, GraphQL at /api/graphql) with documented response bodies. Asserts the requests we send.
 */
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { type ForgeStub, type RecordedRequest, stubPerTest } from '../helpers/forge-stub.js';
import { exampleFiles, makeRepo, snapshot } from '../helpers/git-fixtures.js';
import { expectShape } from '../helpers/json-shapes.js';

const TOKEN = 'ghp_CANARY0123456789abcdefABCDEF';
const IMAGE = 'application-image=registry.example.com/team/pick-manager';

const setup = stubPerTest({ kind: 'github', project: 'acme/env', token: TOKEN });

/** GitHub Actions' variables for a GitHub Enterprise server (the stub); git uses the same token. */
const env = (s: ForgeStub, extra: NodeJS.ProcessEnv = {}) =>
  cleanEnv({
    GITHUB_SERVER_URL: s.url,
    GITHUB_API_URL: `${s.url}/api/v3`,
    GITHUB_TOKEN: TOKEN,
    GITOPS_FLOW_GIT_TOKEN: TOKEN,
    ...extra,
  });
const suggest = (s: ForgeStub, tag: string, extra: string[] = [], e = env(s)) =>
  runCli(['--json', 'suggest', '--env-repo', s.repoUrl, '--env', 'dev', '--image', `${IMAGE}:${tag}`, ...extra], {
    env: e,
  });
/** A recorded request's JSON body, typed for the assertion. */
const bodyOf = <T>(r: RecordedRequest | undefined): T => (r?.body ?? {}) as T;
const api = (s: ForgeStub) => s.requests.filter((r) => r.url.startsWith('/api/'));
const calls = (s: ForgeStub) => api(s).map((r) => `${r.method} ${r.url}`);
const REPO = '/api/v3/repos/acme/env';

describe('GitHub API (stub of the forge): suggest opens the pull request', () => {
  it('creates it once with labels, assignees and auto-merge (GraphQL); push options are never sent', async () => {
    const { remote, stub: s } = await setup('git:\n  mergeRequest:\n    assignees: [octo-cat]\n    labels: [deploy]\n');
    const r = await suggest(s, '1.4.2');
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const out = expectShape(r, 'suggest') as { status: string; branch: string; mergeRequest: Record<string, unknown> };
    expect(out.mergeRequest).toEqual({
      forge: 'github',
      number: 1,
      url: `${s.url}/acme/env/pull/1`,
      action: 'created',
      autoMerge: 'set',
      closed: [],
    });
    expect(remote.pushes()[0]?.options).toEqual([]);

    const q = (extra: Record<string, string>) =>
      new URLSearchParams({ state: 'open', ...extra, per_page: '100' }).toString();
    expect(calls(s)).toEqual([
      `GET ${REPO}`,
      `GET ${REPO}/pulls?${q({ head: `acme:${out.branch}`, base: 'main' })}`,
      `POST ${REPO}/pulls`,
      `POST ${REPO}/issues/1/labels`,
      `POST ${REPO}/issues/1/assignees`,
      'POST /api/graphql',
      `GET ${REPO}/pulls?${q({ base: 'main' })}`,
    ]);
    for (const req of api(s)) {
      expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(req.headers.accept).toBe('application/vnd.github+json');
      expect(req.headers['x-github-api-version']).toBe('2022-11-28');
      expect(req.headers['user-agent']).toBe('gitops-flow');
      expect(req.headers['private-token']).toBeUndefined();
      expect(req.url).not.toContain(TOKEN);
    }
    const [, , create, labels, assignees, graphql] = api(s);
    expect(create?.body).toMatchObject({
      title: 'gitops-flow: suggest dev: application-image=registry.example.com/team/pick-manager:1.4.2',
      head: out.branch,
      base: 'main',
    });
    expect(bodyOf<{ body: string }>(create).body).toContain(
      '| `application-image` | `registry.example.com/team/pick-manager:1.0.0` | `registry.example.com/team/pick-manager:1.4.2` |',
    );
    expect(labels?.body).toEqual({ labels: ['deploy'] });
    expect(assignees?.body).toEqual({ assignees: ['octo-cat'] });
    expect(graphql?.body).toMatchObject({ variables: { pullRequestId: 'PR_kwDOstub1', mergeMethod: 'MERGE' } });
    expect(bodyOf<{ query: string }>(graphql).query).toContain(
      'enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: $mergeMethod})',
    );
    expect(s.changes[0]?.auto_merge).toBe(true);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it('a second suggestion updates the pull request (PATCH), a newer one closes it as superseded', async () => {
    const { stub: s } = await setup();
    expect((await suggest(s, '1.4.2')).code).toBe(0);
    const again = await suggest(s, '1.4.2');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).mergeRequest).toMatchObject({ number: 1, action: 'updated' });
    expect(calls(s).filter((c) => c === `POST ${REPO}/pulls`)).toHaveLength(1);
    expect(calls(s)).toContain(`PATCH ${REPO}/pulls/1`);

    const newer = await suggest(s, '1.4.3');
    expect(newer.code, newer.stderr).toBe(0);
    expect(JSON.parse(newer.stdout).mergeRequest).toMatchObject({ number: 2, action: 'created', closed: [1] });
    expect(s.changes.map((c) => c.state)).toEqual(['closed', 'opened']);
    expect(s.changes[0]?.notes).toEqual(['Superseded by #2: gitops-flow suggested newer images for dev.']);
    expect(
      api(s)
        .filter((q) => q.method === 'PATCH' && q.url === `${REPO}/pulls/1`)
        .at(-1)?.body,
    ).toEqual({ state: 'closed' });
  });

  it('a repository that does not allow auto-merge: a warning, the pull request stays open, exit 0', async () => {
    const { stub: s } = await setup();
    s.settings.allowAutoMerge = false;
    const r = await suggest(s, '1.4.2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: auto-merge is not set on #1: the repository does not allow auto-merge');
    expect(JSON.parse(r.stdout).mergeRequest.autoMerge).toBe('not-set');
    expect(calls(s)).not.toContain('POST /api/graphql');
  });

  it('GraphQL refusing auto-merge is a warning too', async () => {
    const { stub: s } = await setup();
    s.fail({
      method: 'POST',
      path: /^\/api\/graphql$/,
      status: 200,
      body: {
        data: { enablePullRequestAutoMerge: null },
        errors: [{ type: 'UNPROCESSABLE', message: 'Pull request is in clean status' }],
      },
    });
    const r = await suggest(s, '1.4.2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: auto-merge is not set on #1: Pull request is in clean status');
  });

  it('recovers from 422 "A pull request already exists" by updating it', async () => {
    const { stub: s } = await setup();
    expect((await suggest(s, '1.4.2')).code).toBe(0);
    s.fail({ method: 'GET', path: /\/pulls$/, status: 200, body: [] });
    const r = await suggest(s, '1.4.2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('GitHub already has #1');
    expect(s.changes).toHaveLength(1);
  });

  it('push options on GitHub exit 2 before anything is pushed', async () => {
    const { remote, stub: s } = await setup();
    const before = snapshot(remote.dir);
    const r = await suggest(s, '1.4.2', ['--merge-request', 'push-options']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[MERGE_REQUEST_MODE_INVALID]');
    expect(snapshot(remote.dir)).toBe(before);
  });

  it('401 "Bad credentials": names GITHUB_TOKEN and the permissions; nothing pushed', async () => {
    const { remote, stub: s } = await setup();
    const r = await suggest(s, '1.4.2', [], env(s, { GITHUB_TOKEN: 'ghp_WRONGcanary999' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[FORGE_AUTH_FAILED]: GitHub refused the token in GITHUB_TOKEN');
    expect(r.stderr).toContain('Bad credentials');
    expect(r.stderr).toContain('Pull requests: write');
    expect(r.stderr).not.toContain('ghp_WRONGcanary999');
    expect(remote.pushes()).toHaveLength(0);
  });

  it('a secondary rate limit (403 with Retry-After) is waited out, not reported as forbidden', async () => {
    const { stub: s } = await setup();
    s.fail({
      method: 'POST',
      path: /\/pulls$/,
      status: 403,
      headers: { 'Retry-After': '1' },
      body: { message: 'You have exceeded a secondary rate limit.' },
    });
    const r = await suggest(s, '1.4.2');
    expect(r.code, r.stderr).toBe(0);
    expect(calls(s).filter((c) => c === `POST ${REPO}/pulls`)).toHaveLength(2);
  });

  it('403 without a rate limit is FORGE_FORBIDDEN', async () => {
    const { stub: s } = await setup();
    s.fail({
      method: 'GET',
      path: /^\/api\/v3\/repos\/acme\/env$/,
      status: 403,
      body: {
        message: 'Resource not accessible by personal access token',
        documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository',
        status: '403',
      },
    });
    const r = await suggest(s, '1.4.2');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[FORGE_FORBIDDEN]');
    expect(r.stderr).toContain('Resource not accessible by personal access token');
  });
});

describe('GitHub API (stub of the forge): deploy comments the result on the pull request', () => {
  it('in a pull_request workflow (GITHUB_REF refs/pull/<n>/merge)', async () => {
    const { stub: s } = await setup();
    s.changes.push({
      iid: 1,
      title: 't',
      description: '',
      state: 'opened',
      source_branch: 'b',
      target_branch: 'main',
      labels: [],
      assignee_ids: [],
      remove_source_branch: false,
      auto_merge: false,
      notes: [],
    });
    const dir = makeRepo(exampleFiles({ 'kustomizations/base/kustomization.yaml': 'resources: [missing.yaml]\n' }));
    const r = await runCli(['-C', dir, 'deploy', '--env', 'dev'], {
      env: env(s, {
        GITHUB_ACTIONS: 'true',
        GITHUB_REPOSITORY: 'acme/env',
        GITHUB_REF: 'refs/pull/1/merge',
        GITHUB_SHA: 'c0ffee'.repeat(6) + 'c0ff',
        GITHUB_RUN_ID: '555',
      }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[RENDER_FAILED]');
    const comment = api(s).find((q) => q.method === 'POST' && q.url === `${REPO}/issues/1/comments`);
    const body = bodyOf<{ body: string }>(comment).body;
    expect(body).toMatch(/^❌ gitops-flow could not deploy \*\*dev\*\* at `c0ffeec0ffee`/);
    expect(body).toContain('**RENDER_FAILED**');
    expect(body).toContain(`Job: ${s.url}/acme/env/actions/runs/555`);
    expect(comment?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });
});
