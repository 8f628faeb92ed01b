/**
 * deploy in a GitLab merge request pipeline comments its result on the merge request: the built CLI,
 * a real cluster (dev), and a STUB of the forge (test/helpers/forge-stub.ts) that records the note.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type ForgeStub, startForgeStub } from '../helpers/forge-stub.js';
import { commitFiles, makeRemote, makeRepo } from '../helpers/git-fixtures.js';
import { gitopsFlow, neverReadyPatch, uniqueExample } from './helpers.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const TOKEN = 'glpat-E2E-canary-5d1e8f2a';

describe('GitLab API (stub of the forge): deploy comments the result on its merge request', () => {
  let stub: ForgeStub | undefined;
  afterAll(async () => stub?.close());

  it('on success the workloads and the time; on a failed rollout the pod and the reason', async () => {
    stub = await startForgeStub({
      kind: 'gitlab',
      project: 'group/env',
      bareDir: makeRemote({ 'README.md': 'unused\n' }).dir,
      token: TOKEN,
    });
    stub.changes.push({
      iid: 5,
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
    const ci = {
      GITLAB_CI: 'true',
      CI: 'true',
      CI_SERVER_URL: stub.url,
      CI_API_V4_URL: `${stub.url}/api/v4`,
      CI_PROJECT_ID: '42',
      CI_MERGE_REQUEST_IID: '5',
      CI_JOB_URL: `${stub.url}/group/env/-/jobs/1`,
      GITOPS_FLOW_GITLAB_TOKEN: TOKEN,
    };
    const { files, ns } = uniqueExample();
    // API mode: on GitLab deploy comments only then.
    const dir = makeRepo({
      ...files,
      'gitops-flow.yaml': (files['gitops-flow.yaml'] as string).replace(
        '  mergeRequest:\n',
        '  mergeRequest:\n    mode: api\n',
      ),
    });

    const ok = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir, ci);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('Commented the result on merge request !5');
    const [success] = stub.changes[0]?.notes ?? [];
    expect(success).toMatch(
      /^✅ gitops-flow deployed \*\*dev\*\* at `[0-9a-f]{12}` in \d+\.\d s: 1 workload\(s\) ready\.\n\n- `Deployment\/pick-manager`\n/,
    );
    expect(success).toContain(`Job: ${stub.url}/group/env/-/jobs/1`);

    const bad = (files[DEV] as string).replace('newTag: "1.0.0"', 'newTag: "6.6.6"') + neverReadyPatch();
    commitFiles(dir, { [DEV]: bad }, 'a release whose pods never become ready');
    const failed = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '20s'], dir, ci);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('error[ROLLOUT_FAILED]');
    const failure = stub.changes[0]?.notes[1] ?? '';
    expect(failure).toMatch(/^❌ gitops-flow could not deploy \*\*dev\*\*/);
    expect(failure).toContain('**ROLLOUT_FAILED**');
    expect(failure).toContain(`Deployment/pick-manager (namespace ${ns('dev')})`);
    expect(failure).toMatch(/pod pick-manager-[a-z0-9]+-[a-z0-9]+: Ready=False/);

    for (const r of [ok, failed]) expect(r.stdout + r.stderr).not.toContain(TOKEN);
    for (const req of stub.requests) expect(req.url).not.toContain(TOKEN);
    expect(stub.requests.map((q) => `${q.method} ${q.url}`)).toEqual([
      'POST /api/v4/projects/42/merge_requests/5/notes',
      'POST /api/v4/projects/42/merge_requests/5/notes',
    ]);
  });
});
