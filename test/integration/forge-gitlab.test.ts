/**
 * suggest --merge-request api and deploy's merge request comment against a STUB of the forge: a local
 * HTTP server that is the env repo's real git remote (git http-backend) and serves GitLab's REST API v4
 * with documented response bodies (test/helpers/forge-stub.ts). Asserts the requests we send.
 *
 * This file: suggest opens and updates the merge request.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type ForgeStub, type RecordedRequest, stubPerTest } from '../helpers/forge-stub.js';
import { snapshot } from '../helpers/git-fixtures.js';
import { api, bodyOf, env, IMAGE, suggest, TOKEN } from '../helpers/gitlab-suggest.js';
import { expectShape } from '../helpers/json-shapes.js';

const setup = stubPerTest({ kind: 'gitlab', project: 'group/env', token: TOKEN });

/** A recorded request's JSON body, typed for the assertion. */
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
    const r = await suggest(s, '1.4.2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: auto-merge is not set on !1: its pipeline has not started yet');
    expect(JSON.parse(r.stdout).mergeRequest.autoMerge).toBe('not-set');
    expect(calls(s).some((c) => c.endsWith('/merge'))).toBe(false);
  }, 30_000);
});
