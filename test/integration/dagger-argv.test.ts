/**
 * Contract: the argv each Dagger function runs (dagger/src/argv.ts, the same builders the module calls,
 * with the repo at a temp dir instead of /repo) is an invocation the real CLI accepts and carries out,
 * against real git remotes. Verbs that would need a cluster run with --no-deploy or --no-cluster here;
 * deploy's argv runs against a real control plane in test/e2e/gitlab-ci.e2e.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloneArgv, verbArgv } from '../../dagger/src/argv.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { cloneRemote, exampleFiles, gitSync, makeRemote, tempDir } from '../helpers/git-fixtures.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const UAT = 'kustomizations/overlays/uat/kustomization.yaml';
const TOKEN = 'glpat-contract-test-token-0123456789';
const withDev = (tag: string) =>
  exampleFiles({ [DEV]: (exampleFiles()[DEV] as string).replace('newTag: "1.0.0"', `newTag: "${tag}"`) });

describe("contract: the Dagger functions' argv run through the real CLI", () => {
  it('contract: render', async () => {
    const dir = cloneRemote(makeRemote(withDev('1.4.2')));
    const r = await runCli(verbArgv('render', { env: 'dev' }, { repoDir: dir }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('image: registry.example.com/team/pick-manager:1.4.2');
    const at = await runCli(verbArgv('render', { env: 'dev', ref: 'HEAD' }, { repoDir: dir }));
    expect(at.stdout).toBe(r.stdout);
  });

  it('contract: suggest pushes a merge-request branch with push options; the token never reaches argv or the remote', async () => {
    const remote = makeRemote(exampleFiles());
    const r = await runCli(
      verbArgv('suggest', {
        envRepo: remote.url,
        env: 'dev',
        images: ['application-image=registry.example.com/team/pick-manager:1.4.2'],
        upstreamProject: 'team/pick-manager',
        upstreamCommit: '0123456789abcdef0123456789abcdef01234567',
        upstreamRef: 'main',
        upstreamPipeline: '4242',
        upstreamPipelineUrl: 'https://gitlab.example.com/team/pick-manager/-/pipelines/4242',
        upstreamMessage: 'Fix the picker',
      }),
      { env: cleanEnv({ GITOPS_FLOW_GIT_TOKEN: TOKEN }) },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { status: string; branch: string };
    expect(out.status).toBe('pushed');
    expect(remote.pushes()[0]?.options).toContain('merge_request.create');
    expect(gitSync(remote.dir, ['log', '-1', '--format=%(trailers:only,unfold)', out.branch])).toContain(
      'Upstream-Pipeline: 4242',
    );
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it('contract: promote, rollback and restore (without a cluster: --no-deploy) land commits on the remote', async () => {
    const remote = makeRemote(withDev('1.4.2'));
    const dir = cloneRemote(remote);
    const first = gitSync(dir, ['rev-parse', 'HEAD']);

    const promote = await runCli(verbArgv('promote', { from: 'dev', to: 'uat', noDeploy: true }, { repoDir: dir }));
    expect(promote.code, promote.stderr).toBe(0);
    expect(gitSync(remote.dir, ['show', `main:${UAT}`])).toContain('1.4.2');

    const rollback = await runCli(
      verbArgv('rollback', { env: 'uat', reason: 'contract test', noDeploy: true }, { repoDir: dir }),
    );
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(gitSync(remote.dir, ['show', `main:${UAT}`])).toContain('"1.0.0"');
    expect(gitSync(remote.dir, ['log', '-1', '--format=%(trailers:only,unfold)', 'main'])).toContain(
      'Gitops-Flow-Action: rollback',
    );

    const restore = await runCli(
      verbArgv('restore', { env: 'dev', at: first, noDeploy: true }, { repoDir: dir, dryRun: true }),
    );
    expect(restore.code, restore.stderr).toBe(0);
    const restoreUat = await runCli(
      verbArgv('restore', { env: 'uat', at: 'HEAD~1', noDeploy: true, noPush: true }, { repoDir: dir }),
    );
    expect(restoreUat.code, restoreUat.stderr).toBe(0);
    expect(readFileSync(join(dir, UAT), 'utf8')).toContain('1.4.2');

    // The rollback pinned uat: unpin releases it (and pushes, as the function does by default).
    const unpin = await runCli(verbArgv('unpin', { env: 'uat' }, { repoDir: dir }));
    expect(unpin.code, unpin.stderr).toBe(0);
    const diff = await runCli(verbArgv('diff', { env: 'uat', from: first, to: 'HEAD' }, { repoDir: dir }));
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('1.4.2');
  });

  it('contract: run executes a pipeline of gitops-flow.yaml with its inputs and environment', async () => {
    const yaml =
      'pipelines:\n  release:\n    inputs: { target: { required: true } }\n    steps:\n      - run: [sh, -c, \'echo "$1 in $2" > ran.txt\', x, "${{ inputs.target }}", "${{ environment.name }}"]\n';
    const dir = cloneRemote(makeRemote(exampleFiles({ 'gitops-flow.yaml': yaml })));
    const plan = await runCli(
      verbArgv('run', { pipeline: 'release', inputs: ['target=uat'], env: 'prod' }, { repoDir: dir, dryRun: true }),
    );
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toContain('Plan of pipeline release (environment prod); nothing is run.');
    const r = await runCli(
      verbArgv('run', { pipeline: 'release', inputs: ['target=uat'], env: 'prod' }, { repoDir: dir }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('uat in prod\n');
  });

  it('contract: status, history and doctor print JSON', async () => {
    const dir = cloneRemote(makeRemote(withDev('1.4.2')));
    const status = await runCli(verbArgv('status', { noCluster: true }, { repoDir: dir }));
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).environments.dev.images['application-image']).toBe(
      'registry.example.com/team/pick-manager:1.4.2',
    );
    const history = await runCli(verbArgv('history', { env: 'dev', limit: 5 }, { repoDir: dir }));
    expect(history.code, history.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(history.stdout))).toBe(true);
    const doctor = await runCli(verbArgv('doctor', {}, { repoDir: dir }));
    expect(doctor.code, doctor.stderr).toBe(0);
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; ok: boolean; required: boolean }[] }).checks;
    expect(checks.filter((c) => c.required && !c.ok)).toEqual([]);
  });

  it("contract: --repo-url clones with the token as an HTTP header in git's environment, then the verbs run on the clone", async () => {
    const remote = makeRemote(withDev('1.4.2'));
    const dir = join(tempDir(), 'repo');
    const [sh, ...args] = cloneArgv(remote.url, 'main', dir) as [string, ...string[]];
    // A git that records its argv and environment, in front of the real one.
    const bin = tempDir('gitops-flow-git-spy-');
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    const spy = join(bin, 'git');
    execFileSync('sh', [
      '-c',
      `printf '%s\\n' '#!/bin/sh' 'printf "%s\\n" "$*" >> "${bin}/argv"' 'env >> "${bin}/env"' 'exec ${realGit} "$@"' > ${spy} && chmod +x ${spy}`,
    ]);
    execFileSync(sh, args, { env: { PATH: `${bin}:/usr/bin:/bin`, HOME: tempDir(), GITOPS_FLOW_GIT_TOKEN: TOKEN } });
    const basic = Buffer.from(`oauth2:${TOKEN}`).toString('base64');
    const env = readFileSync(join(bin, 'env'), 'utf8');
    expect(env).toContain(`GIT_CONFIG_VALUE_1=Authorization: Basic ${basic}`);
    // Scoped to the env repo's URL, redirects refused: the token goes nowhere else.
    expect(env).toContain(`GIT_CONFIG_KEY_1=http.${remote.url}.extraHeader`);
    expect(env).toContain('GIT_CONFIG_KEY_0=http.followRedirects\n');
    expect(env).toContain('GIT_CONFIG_VALUE_0=false\n');
    expect(readFileSync(join(bin, 'argv'), 'utf8')).not.toContain(TOKEN);
    expect(readFileSync(join(bin, 'argv'), 'utf8')).not.toContain(basic);
    expect(readFileSync(join(dir, '.git/config'), 'utf8')).not.toContain(basic);
    const status = await runCli(verbArgv('status', { noCluster: true }, { repoDir: dir }));
    expect(status.code, status.stderr).toBe(0);
    expect(gitSync(dir, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('main');
  });
});
