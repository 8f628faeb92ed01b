/**
 * Every `--json` shape docs/commands.md documents, checked key by key and type by type against the real CLI
 * (real git, bare remotes, no cluster: --no-deploy). deploy and status drift against a live cluster are
 * in test/e2e/json-shapes.e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { exampleFiles, makeRemote, makeRepo, remoteWithReleases, tempDir } from '../helpers/git-fixtures.js';
import { expectShape } from '../helpers/json-shapes.js';

/** A remote where dev moved to 1.1.0 and prod went 1.0.0 → 1.2.0, and a clone of it. */
function envRepo() {
  const {
    remote,
    dir,
    commits: [c1, c2],
  } = remoteWithReleases([
    ['dev', '1.1.0', '2026-10-01T10:00:00Z'],
    ['prod', '1.2.0', '2026-10-02T10:00:00Z'],
  ]);
  return { remote, dir, c1: c1 as string, c2: c2 as string };
}

describe('--json shapes (stdout is one JSON document of the documented shape)', () => {
  it('status: images, commit, verification, pin and drift per environment', async () => {
    const { dir } = envRepo();
    expect((await runCli(['-C', dir, 'rollback', '--env', 'prod', '--no-deploy'])).code).toBe(0);
    // No reachable cluster: drift is "not checked" with the reason.
    const r = await runCli(['-C', dir, '--json', 'status']);
    expect(r.code).toBe(0);
    const s = expectShape(r, 'status');
    expect(Object.keys(s.environments)).toEqual(['dev', 'uat', 'prod']);
    expect(s.environments.prod?.pinned).not.toBeNull();
    expect(s.environments.dev?.drift).toMatchObject({ checked: false, inSync: null });
    expect(s.environments.dev?.drift.reason).toMatch(/cluster not reachable/);
    const offline = expectShape(await runCli(['-C', dir, 'status', '--no-cluster', '--json']), 'status');
    expect(offline.environments.uat?.drift.reason).toBe('not checked (--no-cluster)');
  });

  it('history: releases newest first, with the upstream trace of a promote', async () => {
    const { dir } = envRepo();
    expect((await runCli(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'])).code).toBe(0);
    const h = expectShape(await runCli(['-C', dir, '--json', 'history']), 'history');
    expect(h[0]).toMatchObject({ env: 'uat', action: 'promote' });
    expect(h[0]?.source).toMatchObject({ fromEnv: 'dev' });
  });

  it('diff: the images that change and the unified diff of the renders', async () => {
    const { dir, c1 } = envRepo();
    const d = expectShape(await runCli(['-C', dir, '--json', 'diff', '--env', 'dev', '--to', c1]), 'diff');
    expect(d).toMatchObject({ env: 'dev', to: c1, changed: true });
    expect(d.images['application-image']).toEqual({
      from: 'registry.example.com/team/pick-manager:1.0.0',
      to: 'registry.example.com/team/pick-manager:1.1.0',
    });
  });

  it('render --json: objects and workloads of the render (with and without --out)', async () => {
    const { dir } = envRepo();
    const r = expectShape(await runCli(['-C', dir, '--json', 'render', '--env', 'dev']), 'render');
    expect(r).toMatchObject({ env: 'dev', ref: null, out: null });
    expect(r.objects.find((o) => o.kind === 'Namespace')?.namespace).toBeUndefined();
    expect(r.workloads).toEqual([
      expect.objectContaining({ kind: 'Deployment', name: 'pick-manager', namespace: 'pick-manager-dev' }),
    ]);
    const out = expectShape(
      await runCli(['-C', dir, '--json', 'render', '--env', 'dev', '--ref', 'HEAD~1', '--out', 'dev.yaml']),
      'render',
    );
    expect(out.out).toMatch(/dev\.yaml$/);
    expect(out.ref).toBe('HEAD~1');
  });

  it('doctor: one check per tool, the config and each cluster', async () => {
    const { dir } = envRepo();
    const r = await runCli(['-C', dir, '--json', 'doctor']);
    const d = expectShape(r, 'doctor');
    expect(d.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['git', 'kubectl', 'kustomize', 'config']));
    // The clusters of the example do not exist here: reported, not required, so exit 0.
    expect(r.code).toBe(0);
  });

  it('promote, rollback, restore and unpin: the release results', async () => {
    const { dir, c1 } = envRepo();
    const p = expectShape(
      await runCli(['-C', dir, '--json', 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy']),
      'promote',
    );
    expect(p).toMatchObject({
      from: 'dev',
      to: 'uat',
      changed: true,
      deployed: false,
      pushed: true,
      pushAttempts: 1,
      source: { kind: 'tip' },
    });
    const rb = expectShape(await runCli(['-C', dir, '--json', 'rollback', '--env', 'uat', '--no-deploy']), 'rollback');
    expect(rb).toMatchObject({ env: 'uat', changed: true, pushed: true });
    const u = expectShape(await runCli(['-C', dir, '--json', 'unpin', '--env', 'uat']), 'unpin');
    expect(u).toMatchObject({ env: 'uat', changed: true, deployed: false });
    const rs = expectShape(
      await runCli(['-C', dir, '--json', 'restore', '--env', 'dev', '--at', c1, '--no-deploy']),
      'restore',
    );
    expect(rs).toEqual([expect.objectContaining({ env: 'dev', at: c1, changed: false })]);
    // A dry run commits nothing: commit is "".
    const dry = expectShape(
      await runCli([
        '-C',
        dir,
        '--json',
        '--dry-run',
        'promote',
        '--from',
        'uat',
        '--to',
        'prod',
        '--no-deploy',
        '--force',
      ]),
      'promote',
    );
    expect(dry.commit).toBe('');
  });

  it('suggest: pushed, then no-change', async () => {
    const remote = makeRemote(exampleFiles());
    const argv = [
      '--json',
      'suggest',
      '--env-repo',
      remote.url,
      '--env',
      'dev',
      '--image',
      'application-image=registry.example.com/team/pick-manager:1.0.0',
      '--push-to-target',
    ];
    const same = expectShape(await runCli(argv), 'suggest');
    expect(same.status).toBe('no-change');
    const pushed = expectShape(await runCli(argv.map((a) => a.replace(':1.0.0', ':1.4.2'))), 'suggest');
    expect(pushed.status).toBe('pushed');
  });

  it('init and completion', async () => {
    const dir = tempDir();
    const i = expectShape(await runCli(['-C', dir, '--json', 'init', '--envs', 'dev,prod']), 'init');
    expect(i).toMatchObject({ environments: ['dev', 'prod'], overwritten: [] });
    expect(i.files).toContain('gitops-flow.yaml');
    const c = expectShape(await runCli(['--json', 'completion', 'zsh']), 'completion');
    expect(c.script).toContain('#compdef gitops-flow');
  });

  it('run (and its --dry-run plan), pipelines list and pipelines show', async () => {
    const yaml =
      'pipelines:\n  p:\n    inputs: { who: { default: world } }\n    steps:\n      - id: hi\n        run: [sh, -c, \'echo "greeting=hi $1" >> "$GITOPS_FLOW_OUTPUT"\', x, "${{ inputs.who }}"]\n';
    const dir = makeRepo(exampleFiles({ 'gitops-flow.yaml': yaml }));
    const ran = expectShape(await runCli(['-C', dir, '--json', 'run', 'p']), 'run');
    expect(ran.steps[0]).toMatchObject({ id: 'hi', result: 'succeeded', outputs: { greeting: 'hi world' } });
    const plan = expectShape(await runCli(['-C', dir, '--json', '--dry-run', 'run', 'p', '--input', 'who=you']), 'run');
    expect(plan).toMatchObject({ dryRun: true, inputs: { who: 'you' }, steps: [{ result: 'planned' }] });
    expect(
      expectShape(await runCli(['-C', dir, '--json', 'pipelines', 'list']), 'pipelinesList').pipelines[0],
    ).toMatchObject({ name: 'p', kind: 'pipeline' });
    expect(expectShape(await runCli(['-C', dir, '--json', 'pipelines', 'show', 'promote']), 'pipelinesShow').name).toBe(
      'promote',
    );
  });

  it('errors: invalid input (exit 2), a failed operation (exit 1) and a usage error are one JSON document', async () => {
    const { dir } = envRepo();
    const bad = await runCli(['-C', dir, '--json', 'render', '--env', 'staging']);
    expect(bad.code).toBe(2);
    expect(expectShape(bad, 'error').error).toMatchObject({
      code: 'ENV_UNKNOWN',
      value: 'staging',
      remediation: 'Use one of: dev, uat, prod.',
    });
    expect(bad.stderr).toContain('error[ENV_UNKNOWN]');

    const broken = makeRepo(exampleFiles({ 'kustomizations/base/kustomization.yaml': 'resources: [missing.yaml]\n' }));
    const fail = await runCli(['-C', broken, '--json', 'render', '--env', 'dev']);
    expect(fail.code).toBe(1);
    expect(expectShape(fail, 'error').error.code).toBe('RENDER_FAILED');

    const usage = await runCli(['-C', dir, '--json', 'histroy']);
    expect(usage.code).toBe(2);
    expect(expectShape(usage, 'error').error).toMatchObject({
      code: 'USAGE_INVALID',
      value: 'histroy',
      details: ['(Did you mean history?)'],
    });
  });

  it('every command prints exactly one JSON document with --json, whatever happens', async () => {
    const help = await runCli(['--help']);
    const commands =
      help.stdout
        .split('Commands:')[1]
        ?.split('\n')
        .map((l) => /^ {2}(\S+)/.exec(l)?.[1])
        .filter((c): c is string => Boolean(c) && c !== 'help') ?? [];
    expect(commands.length).toBeGreaterThan(12);
    const { dir } = envRepo();
    for (const cmd of commands) {
      // No options: most commands fail on a missing required option, which is still one JSON document
      // (JSON.parse refuses anything before or after it).
      const r = await runCli(['-C', dir, '--json', cmd], { env: cleanEnv() });
      expect(() => JSON.parse(r.stdout), `${cmd}: ${r.stdout}`).not.toThrow();
      if (r.code !== 0) expect(expectShape(r, 'error').error.code, cmd).toMatch(/^[A-Z_]+$/);
    }
  });
});
