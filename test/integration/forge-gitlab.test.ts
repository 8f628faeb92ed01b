/**
 * suggest --merge-request api and deploy's merge request comment against a STUB of the forge: a local
 * HTTP server that is the env repo's real git remote (git http-backend) and serves GitLab's REST API v4
 * with documented response bodies (test/helpers/forge-stub.ts). Asserts the requests we send.
 */
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { type ForgeStub, type RecordedRequest, stubPerTest } from '../helpers/forge-stub.js';
import { exampleFiles, gitSync, makeRemote, makeRepo, snapshot } from '../helpers/git-fixtures.js';
import { expectShape } from '../helpers/json-shapes.js';

/** A canary: it must never appear in output, URLs or errors. */
const TOKEN = 'glpat-CANARY-7f3e9a1c5b2d';
const IMAGE = 'application-image=registry.example.com/team/pick-manager';
const ciEnv = {
  CI_PROJECT_PATH: 'team/pick-manager',
  CI_COMMIT_SHA: '0123456789abcdef0123456789abcdef01234567',
  CI_COMMIT_REF_NAME: 'main',
  CI_PIPELINE_ID: '4242',
  CI_PIPELINE_URL: 'https://gitlab.example.com/team/pick-manager/-/pipelines/4242',
  CI_COMMIT_MESSAGE: 'Fix the order picker',
};

const setup = stubPerTest({ kind: 'gitlab', project: 'group/env', token: TOKEN });

const env = (extra: NodeJS.ProcessEnv = {}) => cleanEnv({ GITOPS_FLOW_GIT_TOKEN: TOKEN, ...ciEnv, ...extra });
const suggest = (s: ForgeStub, tag: string, extra: string[] = [], e = env()) =>
  runCli(
    [
      '--json',
      'suggest',
      '--merge-request',
      'api',
      '--env-repo',
      s.repoUrl,
      '--env',
      'dev',
      '--image',
      `${IMAGE}:${tag}`,
      ...extra,
    ],
    { env: e },
  );
/** A recorded request's JSON body, typed for the assertion. */
const bodyOf = <T>(r: RecordedRequest | undefined): T => (r?.body ?? {}) as T;
const api = (s: ForgeStub) => s.requests.filter((r) => r.url.startsWith('/api/'));
const calls = (s: ForgeStub) => api(s).map((r) => `${r.method} ${r.url}`);
const MRS = '/api/v4/projects/group%2Fenv/merge_requests';

function expectNoTokenLeak(r: { stdout: string; stderr: string }, s: ForgeStub): void {
  expect(r.stdout + r.stderr).not.toContain(TOKEN);
  for (const req of s.requests) expect(req.url).not.toContain(TOKEN);
}

describe('GitLab API (stub of the forge): suggest opens the merge request', () => {
  it('creates it once: title, old → new images, upstream trace, labels, remove_source_branch, auto-merge; no push options', async () => {
    const { remote, stub: s } = await setup();
    const r = await suggest(s, '1.4.2');
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const out = expectShape(r, 'suggest') as { status: string; branch: string; mergeRequest: Record<string, unknown> };
    expect(out.status).toBe('pushed');
    expect(out.mergeRequest).toEqual({
      forge: 'gitlab',
      number: 1,
      url: `${s.url}/group/env/-/merge_requests/1`,
      action: 'created',
      autoMerge: 'set',
      closed: [],
    });

    // The branch was pushed without push options: the API opens the merge request.
    expect(remote.pushes()).toHaveLength(1);
    expect(remote.pushes()[0]?.options).toEqual([]);
    expect(remote.pushes()[0]?.updates[0]?.ref).toBe(`refs/heads/${out.branch}`);

    const q = (extra: Record<string, string>) =>
      new URLSearchParams({ state: 'opened', ...extra, per_page: '100' }).toString();
    expect(calls(s)).toEqual([
      'GET /api/v4/projects/group%2Fenv',
      `GET ${MRS}?${q({ source_branch: out.branch, target_branch: 'main' })}`,
      `POST ${MRS}`,
      `GET ${MRS}/1`,
      `PUT ${MRS}/1/merge`,
      `GET ${MRS}?${q({ target_branch: 'main' })}`,
    ]);
    for (const req of api(s)) {
      expect(req.headers['private-token']).toBe(TOKEN);
      expect(req.headers.authorization).toBeUndefined();
      expect(req.url).not.toContain(TOKEN);
    }
    const create = api(s)[2] as RecordedRequest;
    expect(create.headers['content-type']).toBe('application/json');
    const body = create.body as Record<string, unknown>;
    expect(body).toMatchObject({
      source_branch: out.branch,
      target_branch: 'main',
      title: 'gitops-flow: suggest dev: application-image=registry.example.com/team/pick-manager:1.4.2',
      labels: 'gitops-flow',
      remove_source_branch: true,
    });
    expect(body.assignee_ids).toBeUndefined();
    const description = body.description as string;
    expect(description).toContain(
      '| `application-image` | `registry.example.com/team/pick-manager:1.0.0` | `registry.example.com/team/pick-manager:1.4.2` |',
    );
    expect(description).toContain(
      'Upstream: pipeline [4242](https://gitlab.example.com/team/pick-manager/-/pipelines/4242) of `team/pick-manager` built `0123456789ab` on `main`.',
    );
    expect(description).toContain('> Fix the order picker');
    // The marker is the last line, sealed with a hash of the text above it.
    expect(description).toMatch(
      /\n<!-- gitops-flow:suggestion \{"env":"dev","images":\["application-image"\],"sha256":"[0-9a-f]{64}"\} -->\n$/,
    );
    // Auto-merge once the pipeline exists, pinned to the head GitLab reported.
    // merge_when_pipeline_succeeds too: GitLab before 17.11 ignores auto_merge and would merge at once.
    expect(api(s)[4]?.body).toEqual({ auto_merge: true, merge_when_pipeline_succeeds: true, sha: 'a'.repeat(40) });
    expect(s.changes).toHaveLength(1);
    expect(s.changes[0]?.auto_merge).toBe(true);
    expectNoTokenLeak(r, s);
  });

  it('a second suggestion of the same images updates the merge request instead of opening another', async () => {
    const { remote, stub: s } = await setup();
    expect((await suggest(s, '1.4.2')).code).toBe(0);
    const again = await suggest(s, '1.4.2', ['--upstream-pipeline', '4243']);
    expect(again.code, again.stderr).toBe(0);
    const out = JSON.parse(again.stdout) as { status: string; mergeRequest: { action: string; number: number } };
    expect(out.status).toBe('already-suggested');
    expect(out.mergeRequest).toMatchObject({ action: 'updated', number: 1 });
    expect(s.changes).toHaveLength(1);
    expect(remote.pushes()).toHaveLength(1);
    expect(calls(s).filter((c) => c === `POST ${MRS}`)).toHaveLength(1);
    const update = api(s).find((q) => q.method === 'PUT' && q.url === `${MRS}/1`);
    expect(update?.body).toMatchObject({ add_labels: 'gitops-flow', title: expect.stringContaining('1.4.2') });
    expect(bodyOf<{ description: string }>(update).description).toContain('pipeline [4243]');
    expect(bodyOf<Record<string, unknown>>(update).labels).toBeUndefined();
  });

  it('a newer suggestion for the same env and image closes the older merge request, with a note', async () => {
    const { stub: s } = await setup();
    expect((await suggest(s, '1.4.2')).code).toBe(0);
    const uat = await runCli(
      ['suggest', '--merge-request', 'api', '--env-repo', s.repoUrl, '--env', 'uat', '--image', `${IMAGE}:1.4.2`],
      { env: env() },
    );
    expect(uat.code, uat.stderr).toBe(0);
    const r = await suggest(s, '1.4.3');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).mergeRequest).toMatchObject({ number: 3, action: 'created', closed: [1] });
    expect(r.stderr).toContain('Closed !1');
    expect(s.changes.map((m) => [m.iid, m.state])).toEqual([
      [1, 'closed'],
      [2, 'opened'],
      [3, 'opened'],
    ]);
    expect(s.changes[0]?.notes).toEqual(['Superseded by !3: gitops-flow suggested newer images for dev.']);
    const close = api(s).find((q) => q.method === 'PUT' && q.url === `${MRS}/1`);
    expect(close?.body).toEqual({ state_event: 'close' });
  });

  it('reads every page of open merge requests: a superseded one behind 150 others is closed too', async () => {
    const { stub: s } = await setup();
    expect((await suggest(s, '1.4.2')).code).toBe(0);
    // 150 merge requests people opened (no gitops-flow marker) listed before ours: it is on page 2.
    s.changes.unshift(
      ...Array.from({ length: 150 }, (_, i) => ({
        iid: 1000 + i,
        title: `feature ${i}`,
        description: '',
        state: 'opened' as const,
        source_branch: `feature-${i}`,
        target_branch: 'main',
        labels: [],
        assignee_ids: [],
        remove_source_branch: false,
        auto_merge: false,
        notes: [],
      })),
    );
    const r = await suggest(s, '1.4.3');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Closed !1');
    expect(s.changes.filter((m) => m.state === 'closed').map((m) => m.iid)).toEqual([1]);
    expect(calls(s)).toContain(
      `GET ${MRS}?${new URLSearchParams({ state: 'opened', target_branch: 'main', per_page: '100', page: '2' })}`,
    );
  });

  it('--dry-run: checks the token and the project, pushes nothing, creates nothing', async () => {
    const { remote, stub: s } = await setup();
    const r = await runCli(
      [
        '--dry-run',
        'suggest',
        '--merge-request',
        'api',
        '--env-repo',
        s.repoUrl,
        '--env',
        'dev',
        '--image',
        `${IMAGE}:1.4.2`,
      ],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('[dry-run] would open a merge request for gitops-flow/dev/');
    expect(api(s).map((q) => q.method)).toEqual(['GET', 'GET']);
    expect(s.changes).toHaveLength(0);
    expect(remote.pushes()).toHaveLength(0);
  });

  it('--verbose shows each API call without the token (the canary), in no output and no URL', async () => {
    const { stub: s } = await setup();
    const r = await runCli(
      [
        '--verbose',
        'suggest',
        '--merge-request',
        'api',
        '--env-repo',
        s.repoUrl,
        '--env',
        'dev',
        '--image',
        `${IMAGE}:1.4.2`,
      ],
      { env: env({ GITOPS_FLOW_GITLAB_TOKEN: TOKEN }) },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`$ POST ${s.url}${MRS}`);
    expect(r.stderr).toContain('$ git');
    expectNoTokenLeak(r, s);
  });

  it('closeSuperseded: false leaves older merge requests open', async () => {
    const { stub: s } = await setup('git:\n  mergeRequest:\n    mode: api\n    closeSuperseded: false\n');
    // mode: api from gitops-flow.yaml, no flag needed.
    const first = await runCli(['suggest', '--env-repo', s.repoUrl, '--env', 'dev', '--image', `${IMAGE}:1.4.2`], {
      env: env(),
    });
    expect(first.code, first.stderr).toBe(0);
    expect(
      (await runCli(['suggest', '--env-repo', s.repoUrl, '--env', 'dev', '--image', `${IMAGE}:1.4.3`], { env: env() }))
        .code,
    ).toBe(0);
    expect(s.changes.map((m) => m.state)).toEqual(['opened', 'opened']);
  });

  it('assigns the configured users by id, and refuses an unknown one before pushing', async () => {
    const { remote, stub: s } = await setup(
      'git:\n  mergeRequest:\n    assignees: [release-bot]\n    autoMerge: off\n',
    );
    const r = await suggest(s, '1.4.2');
    expect(r.code, r.stderr).toBe(0);
    expect(calls(s)).toContain('GET /api/v4/users?username=release-bot');
    expect(api(s).find((q) => q.method === 'POST')?.body).toMatchObject({ assignee_ids: [7] });
    expect(calls(s).some((c) => c.endsWith('/merge'))).toBe(false);
    expect(JSON.parse(r.stdout).mergeRequest.autoMerge).toBe('off');

    const { remote: other, stub: s2 } = await setup('git:\n  mergeRequest:\n    assignees: [nobody-here]\n');
    const before = snapshot(other.dir);
    const bad = await suggest(s2, '1.4.2');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error[FORGE_ASSIGNEE_UNKNOWN]');
    expect(snapshot(other.dir)).toBe(before);
    expect(remote.pushes()).toHaveLength(1);
  });

  it('recovers from 409 (another request opened it first) by updating that merge request', async () => {
    const { stub: s } = await setup();
    expect((await suggest(s, '1.4.2')).code).toBe(0);
    // The lookup misses it (as in a race), so the create meets GitLab's 409.
    s.fail({ method: 'GET', path: /\/merge_requests$/, status: 200, body: [] });
    const r = await suggest(s, '1.4.2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('GitLab already has !1');
    expect(JSON.parse(r.stdout).mergeRequest).toMatchObject({ number: 1, action: 'updated' });
    expect(s.changes).toHaveLength(1);
  });

  it('does not set auto-merge before the merge request has a pipeline (it could merge untested)', async () => {
    const { stub: s } = await setup();
    s.settings.headPipeline = false;
    const r = await runCli(
      [
        '--json',
        'suggest',
        '--merge-request',
        'api',
        '--env-repo',
        s.repoUrl,
        '--env',
        'dev',
        '--image',
        `${IMAGE}:1.4.2`,
      ],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: auto-merge is not set on !1: its pipeline has not started yet');
    expect(JSON.parse(r.stdout).mergeRequest.autoMerge).toBe('not-set');
    expect(calls(s).some((c) => c.endsWith('/merge'))).toBe(false);
  }, 30_000);
});

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
