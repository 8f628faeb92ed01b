/** suggest against a real bare remote that records push options. */
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { exampleFiles, gitSync, makeRemote, snapshot, tempDir } from '../helpers/git-fixtures.js';

const ciEnv = {
  CI_PROJECT_PATH: 'team/pick-manager',
  CI_COMMIT_SHA: '0123456789abcdef0123456789abcdef01234567',
  CI_COMMIT_REF_NAME: 'main',
  CI_PIPELINE_ID: '4242',
  CI_PIPELINE_URL: 'https://gitlab.example.com/team/pick-manager/-/pipelines/4242',
  CI_COMMIT_MESSAGE: 'Fix the order picker\n\nGitops-Flow-Env: prod',
};

function show(remoteDir: string, ref: string, path: string): string {
  return gitSync(remoteDir, ['show', `${ref}:${path}`]);
}

describe('suggest', () => {
  it('pushes a deterministic branch with the exact GitLab push options, trailers and overlay', async () => {
    const remote = makeRemote(exampleFiles());
    const r = await runCli(
      [
        '--json',
        'suggest',
        '--env-repo',
        remote.url,
        '--env',
        'dev',
        '--image',
        'application-image=registry.example.com/team/pick-manager:1.4.2',
      ],
      { env: cleanEnv(ciEnv) },
    );
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { status: string; branch: string; commit: string };
    expect(out.status).toBe('pushed');
    expect(out.branch).toMatch(/^gitops-flow\/dev\/application-image-1\.4\.2-[0-9a-f]{8}$/);

    const pushes = remote.pushes();
    expect(pushes).toHaveLength(1);
    expect(pushes[0]?.options).toEqual([
      'merge_request.create',
      'merge_request.target=main',
      'merge_request.title=gitops-flow: suggest dev: application-image=registry.example.com/team/pick-manager:1.4.2',
      'merge_request.label=gitops-flow',
      'merge_request.remove_source_branch',
      'merge_request.auto_merge',
    ]);
    expect(pushes[0]?.updates.map((u) => u.ref)).toEqual([`refs/heads/${out.branch}`]);

    const overlay = show(remote.dir, out.branch, 'kustomizations/overlays/dev/kustomization.yaml');
    expect(overlay).toMatch(/newTag: "?1\.4\.2"?\n/);
    expect(overlay).toContain('# The dev environment');
    expect(show(remote.dir, 'main', 'kustomizations/overlays/dev/kustomization.yaml')).toContain('newTag: "1.0.0"');

    const message = gitSync(remote.dir, ['log', '-1', '--format=%B', out.branch]);
    const trailers = gitSync(remote.dir, ['log', '-1', '--format=%(trailers:only,unfold)', out.branch]);
    expect(trailers.split('\n')).toEqual([
      'Gitops-Flow-Action: suggest',
      'Gitops-Flow-Env: dev',
      'Gitops-Flow-Image: application-image=registry.example.com/team/pick-manager:1.4.2',
      'Upstream-Project: team/pick-manager',
      `Upstream-Commit: ${ciEnv.CI_COMMIT_SHA}`,
      'Upstream-Ref: main',
      'Upstream-Pipeline: 4242',
      `Upstream-Pipeline-Url: ${ciEnv.CI_PIPELINE_URL}`,
    ]);
    expect(message).toContain('Fix the order picker');
    // Only the overlay changed.
    expect(gitSync(remote.dir, ['diff', '--name-only', 'main', out.branch])).toBe(
      'kustomizations/overlays/dev/kustomization.yaml',
    );
  });

  it('flags override the CI variables, and several images go in one commit', async () => {
    const remote = makeRemote(exampleFiles());
    const r = await runCli(
      [
        '--json',
        'suggest',
        '--env-repo',
        remote.url,
        '--env',
        'uat',
        '--image',
        'application-image=registry.example.com/team/pick-manager:1.5.0',
        '--image',
        `order-manager-image=registry.example.com/team/order-manager@sha256:${'e'.repeat(64)}`,
        '--upstream-project',
        'other/project',
        '--upstream-pipeline',
        '7',
      ],
      { env: cleanEnv(ciEnv) },
    );
    expect(r.code).toBe(0);
    const { branch } = JSON.parse(r.stdout) as { branch: string };
    const trailers = gitSync(remote.dir, ['log', '-1', '--format=%(trailers:only,unfold)', branch]);
    expect(trailers).toContain('Upstream-Project: other/project');
    expect(trailers).toContain('Upstream-Pipeline: 7');
    const overlay = show(remote.dir, branch, 'kustomizations/overlays/uat/kustomization.yaml');
    expect(overlay).toContain(`digest: sha256:${'e'.repeat(64)}`);
    expect(overlay).not.toContain('newTag: "2.3.0"');
  });

  it('is a no-op (exit 0, nothing pushed) when the overlay already has these images', async () => {
    const remote = makeRemote(exampleFiles());
    const before = snapshot(remote.dir);
    const r = await runCli([
      'suggest',
      '--env-repo',
      remote.url,
      '--env',
      'dev',
      '--image',
      'application-image=registry.example.com/team/pick-manager:1.0.0',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('No change');
    expect(remote.pushes()).toHaveLength(0);
    expect(snapshot(remote.dir)).toBe(before);
  });

  it('suggesting the same images twice reports "already suggested"', async () => {
    const remote = makeRemote(exampleFiles());
    const args = [
      'suggest',
      '--env-repo',
      remote.url,
      '--env',
      'dev',
      '--image',
      'application-image=registry.example.com/team/pick-manager:1.4.3',
    ];
    expect((await runCli(args)).code).toBe(0);
    const again = await runCli(['--json', ...args]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).status).toBe('already-suggested');
  });

  it('--push-to-target commits straight to main, without push options', async () => {
    const remote = makeRemote(exampleFiles());
    const r = await runCli([
      'suggest',
      '--push-to-target',
      '--env-repo',
      remote.url,
      '--env',
      'dev',
      '--image',
      'application-image=registry.example.com/team/pick-manager:1.4.4',
    ]);
    expect(r.code).toBe(0);
    expect(remote.pushes()[0]?.options).toEqual([]);
    expect(remote.pushes()[0]?.updates[0]?.ref).toBe('refs/heads/main');
    expect(show(remote.dir, 'main', 'kustomizations/overlays/dev/kustomization.yaml')).toMatch(/newTag: "?1\.4\.4"?\n/);
  });

  it('honours merge_when_pipeline_succeeds and labels from gitops-flow.yaml', async () => {
    const remote = makeRemote(
      exampleFiles({
        'gitops-flow.yaml':
          'git:\n  mergeRequest:\n    autoMerge: merge_when_pipeline_succeeds\n    removeSourceBranch: false\n    labels: [deploy, dev]\n',
      }),
    );
    const r = await runCli(['suggest', '--env-repo', remote.url, '--env', 'dev', '--image', 'application-image:9']);
    expect(r.code).toBe(0);
    const options = remote.pushes()[0]?.options ?? [];
    expect(options).toContain('merge_request.merge_when_pipeline_succeeds');
    expect(options).not.toContain('merge_request.auto_merge');
    expect(options).not.toContain('merge_request.remove_source_branch');
    expect(options.filter((o) => o.startsWith('merge_request.label='))).toEqual([
      'merge_request.label=deploy',
      'merge_request.label=dev',
    ]);
  });

  it('never puts the token in argv, the remote config, commits or output', async () => {
    const token = 'glpat-SECRET-token-1234567890';
    const remote = makeRemote(exampleFiles());
    const r = await runCli(
      ['--verbose', 'suggest', '--env-repo', remote.url, '--env', 'dev', '--image', 'application-image:7'],
      { env: cleanEnv({ GITOPS_FLOW_GIT_TOKEN: token }) },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('$ git');
    expect(r.stdout + r.stderr).not.toContain(token);
    expect(gitSync(remote.dir, ['log', '--all', '--format=%B'])).not.toContain(token);
  });

  it.each([
    [['--image', 'application-image=Bad Image:1'], 'IMAGE_ARG_INVALID', 'Bad Image'],
    [['--image', 'application-image=reg/app:$(id)'], 'IMAGE_ARG_INVALID', '$(id)'],
    [['--image', 'application-image'], 'IMAGE_ARG_INVALID', 'give a new name'],
    [['--env', 'nope', '--image', 'application-image:1'], 'ENV_UNKNOWN', 'Use one of: dev, uat, prod'],
    [['--env', '../../etc', '--image', 'application-image:1'], 'ENV_UNKNOWN', '../../etc'],
  ])('invalid input %j exits 2 and leaves the remote byte-for-byte unchanged', async (args, code, shown) => {
    const remote = makeRemote(exampleFiles());
    const before = snapshot(remote.dir);
    const argv = ['suggest', '--env-repo', remote.url, ...(args.includes('--env') ? [] : ['--env', 'dev']), ...args];
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error[${code}]`);
    expect(r.stderr).toContain(shown);
    expect(r.stderr).toContain('hint:');
    expect(snapshot(remote.dir)).toBe(before);
    expect(remote.pushes()).toHaveLength(0);
  });

  it('refuses a URL with credentials without echoing them', async () => {
    const r = await runCli([
      'suggest',
      '--env-repo',
      'https://oauth2:glpat-abcdef123456@gitlab.example.com/g/env.git',
      '--env',
      'dev',
      '--image',
      'a:1',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('GITOPS_FLOW_GIT_TOKEN');
    expect(r.stderr).not.toContain('glpat-abcdef123456');
  });

  it('a broken gitops-flow.yaml lists every problem and pushes nothing', async () => {
    const remote = makeRemote(
      exampleFiles({
        'gitops-flow.yaml':
          'order: [dev, Prod]\nenvironments:\n  dev:\n    verify: { timeout: soon }\n    bogus: 1\ngit:\n  author: { name: x, email: not-an-email }\n',
      }),
    );
    const before = snapshot(remote.dir);
    const r = await runCli(['suggest', '--env-repo', remote.url, '--env', 'dev', '--image', 'application-image:1'], {
      cwd: tempDir(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[CONFIG_INVALID]');
    for (const field of ['order.1', 'environments.dev.verify.timeout', 'environments.dev', 'git.author.email'])
      expect(r.stderr).toContain(field);
    expect(r.stderr).toContain('"soon"');
    expect(snapshot(remote.dir)).toBe(before);
  });
});

describe('suggest --target-branch', () => {
  it('a branch the env repo does not have exits 2 naming it', async () => {
    const remote = makeRemote(exampleFiles());
    const before = snapshot(remote.dir);
    const r = await runCli([
      'suggest',
      '--env-repo',
      remote.url,
      '--env',
      'dev',
      '--target-branch',
      'release-9',
      '--image',
      'application-image:2',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[BRANCH_UNKNOWN]');
    expect(r.stderr).toContain('"release-9"');
    expect(snapshot(remote.dir)).toBe(before);
  });
});
