/** render, status and history, from real git history. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cloneRemote, commitFiles, exampleFiles, gitSync, makeRemote, makeRepo } from '../helpers/git-fixtures.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const devWith = (tag: string) => (exampleFiles()[DEV] as string).replace('newTag: "1.0.0"', `newTag: "${tag}"`);

describe('render', () => {
  it('renders the working tree, or the overlay as it was at --ref, with the pinned kustomize', async () => {
    const dir = makeRepo(exampleFiles());
    const first = gitSync(dir, ['rev-parse', 'HEAD']);
    commitFiles(dir, { [DEV]: devWith('1.1.0') }, 'dev 1.1.0');
    const now = await runCli(['-C', dir, 'render', '--env', 'dev']);
    expect(now.code).toBe(0);
    expect(now.stdout).toContain('image: registry.example.com/team/pick-manager:1.1.0');
    expect(now.stdout).toContain('namespace: pick-manager-dev');
    expect(now.stdout).toContain('kind: HorizontalPodAutoscaler');
    const then = await runCli(['-C', dir, 'render', '--env', 'dev', '--ref', first]);
    expect(then.stdout).toContain('image: registry.example.com/team/pick-manager:1.0.0');
  });

  it('--out writes the manifest inside the repo; --json prints its objects and workloads', async () => {
    const dir = makeRepo(exampleFiles());
    const r = await runCli(['-C', dir, '--json', 'render', '--env', 'uat', '--out', 'out/uat.yaml']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'out/uat.yaml'), 'utf8')).toContain('kind: Deployment');
    const meta = JSON.parse(r.stdout);
    expect(meta.objects.map((o: { kind: string }) => o.kind).sort()).toEqual([
      'Deployment',
      'HorizontalPodAutoscaler',
      'Namespace',
    ]);
    expect(meta.workloads).toEqual([
      {
        kind: 'Deployment',
        name: 'pick-manager',
        namespace: 'pick-manager-uat',
        images: {
          app: 'registry.example.com/team/pick-manager:1.0.0',
          'order-manager': 'registry.example.com/team/order-manager:2.3.0',
        },
      },
    ]);
  });

  it.each([
    [['--env', 'dev', '--out', '../escape.yaml'], 'PATH_OUTSIDE_REPO'],
    [['--env', 'dev', '--out', '/tmp/abs.yaml'], 'PATH_OUTSIDE_REPO'],
    [['--env', 'dev', '--ref', 'no-such-ref'], 'REF_UNKNOWN'],
    [['--env', 'staging'], 'ENV_UNKNOWN'],
  ])('%j exits 2', async (args, code) => {
    const dir = makeRepo(exampleFiles());
    const r = await runCli(['-C', dir, 'render', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error[${code}]`);
    expect(existsSync(join(dir, '..', 'escape.yaml'))).toBe(false);
  });

  it("a kustomize failure exits 1 with kustomize's reason", async () => {
    const dir = makeRepo(exampleFiles({ 'kustomizations/base/kustomization.yaml': 'resources:\n  - missing.yaml\n' }));
    const r = await runCli(['-C', dir, 'render', '--env', 'dev']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[RENDER_FAILED]');
    expect(r.stderr).toContain('missing.yaml');
  });

  it('environments come from the overlay folders when there is no gitops-flow.yaml', async () => {
    const dir = makeRepo(exampleFiles({ 'gitops-flow.yaml': null }));
    const r = await runCli(['-C', dir, 'render', '--env', 'nope']);
    expect(r.stderr).toContain('Use one of: dev, uat, prod');
  });
});

describe('status and history', () => {
  it('status --json and history --json have the shapes of DESIGN.md, newest first, hand edits included', async () => {
    const remote = makeRemote(exampleFiles());
    const sug = await runCli([
      'suggest',
      '--push-to-target',
      '--env-repo',
      remote.url,
      '--env',
      'dev',
      '--image',
      'application-image=registry.example.com/team/pick-manager:1.4.2',
      '--upstream-project',
      'team/app',
      '--upstream-pipeline',
      '99',
    ]);
    expect(sug.code).toBe(0);
    const dir = cloneRemote(remote);
    expect((await runCli(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'])).code).toBe(0);
    const manual = commitFiles(
      dir,
      {
        'kustomizations/overlays/prod/kustomization.yaml': (
          exampleFiles()['kustomizations/overlays/prod/kustomization.yaml'] as string
        ).replace('"2.3.0"', '"2.3.1"'),
      },
      'hand edit of prod',
    );

    const status = await runCli(['-C', dir, '--json', 'status']);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(Object.keys(s.environments)).toEqual(['dev', 'uat', 'prod']);
    expect(s.environments.uat.images['application-image']).toBe('registry.example.com/team/pick-manager:1.4.2');
    expect(s.environments.prod.commit).toBe(manual);
    expect(s.environments.prod.images['order-manager-image']).toBe('registry.example.com/team/order-manager:2.3.1');
    expect(new Date(s.environments.dev.updatedAt).toString()).not.toBe('Invalid Date');

    const history = await runCli(['-C', dir, '--json', 'history']);
    const h = JSON.parse(history.stdout) as {
      commit: string;
      env: string;
      action: string;
      images: Record<string, string>;
      previousImages: Record<string, string>;
      source: Record<string, string>;
    }[];
    expect(h.slice(0, 3).map((e) => [e.env, e.action])).toEqual([
      ['prod', 'manual'],
      ['uat', 'promote'],
      ['dev', 'suggest'],
    ]);
    expect(h[0]?.commit).toBe(manual);
    expect(h[1]?.source.fromEnv).toBe('dev');
    expect(h[2]?.source).toMatchObject({ project: 'team/app', pipelineId: '99' });
    expect(h[2]?.previousImages['application-image']).toBe('registry.example.com/team/pick-manager:1.0.0');
    expect(h[2]?.images['application-image']).toBe('registry.example.com/team/pick-manager:1.4.2');

    const onlyUat = JSON.parse((await runCli(['-C', dir, '--json', 'history', '--env', 'uat', '--limit', '1'])).stdout);
    expect(onlyUat).toHaveLength(1);
    expect(onlyUat[0].env).toBe('uat');

    const human = await runCli(['-C', dir, 'status']);
    expect(human.stdout).toMatch(/^ENV\s+IMAGE\s+REFERENCE/);
  });

  it('history --limit rejects a non-number with exit 2', async () => {
    const dir = makeRepo(exampleFiles());
    const r = await runCli(['-C', dir, 'history', '--limit', 'ten']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('must be a positive integer');
  });
});
