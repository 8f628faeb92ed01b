/** rollback, restore, verification records and drift against real local control planes. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { startCluster } from '../../src/cluster/cluster.js';
import { cloneRemote, commitFiles, gitSync, makeRemote } from '../helpers/git-fixtures.js';
import { racedEnv } from '../helpers/push-race.js';
import { e2eEnv, gitopsFlow, kube, liveImages, uniqueExample } from './helpers.js';

const overlayKey = (env: string) => `kustomizations/overlays/${env}/kustomization.yaml`;
const BASE = 'kustomizations/base/deployment.yaml';

function withTag(files: Record<string, string>, env: string, tag: string): string {
  return (files[overlayKey(env)] as string).replace(/newTag: "?[^"\n]+"?\n(\s+- name: order)/, `newTag: "${tag}"\n$1`);
}

describe('rollback on a cluster', () => {
  it('brings the previous release back live, verified, pushed and pinned', async () => {
    const { files, ns } = uniqueExample();
    const remote = makeRemote(files);
    const dir = cloneRemote(remote);
    expect((await gitopsFlow(['deploy', '--env', 'prod', '--timeout', '60s'], dir)).code).toBe(0);
    commitFiles(dir, { [overlayKey('prod')]: withTag(files, 'prod', '2.0.0') }, 'prod 2.0.0');
    gitSync(dir, ['push', '--quiet', 'origin', 'main']);
    expect((await gitopsFlow(['deploy', '--env', 'prod', '--timeout', '60s'], dir)).code).toBe(0);
    expect(liveImages('prod', ns('prod')).app).toBe('registry.example.com/team/pick-manager:2.0.0');

    const r = await gitopsFlow(['rollback', '--env', 'prod', '--timeout', '60s'], dir);
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    expect(liveImages('prod', ns('prod')).app).toBe('registry.example.com/team/pick-manager:1.0.0');
    expect(gitSync(remote.dir, ['show', `main:${overlayKey('prod')}`])).toContain('"1.0.0"');
    expect(gitSync(remote.dir, ['ls-tree', '--name-only', 'main', 'kustomizations/overlays/prod/'])).toContain(
      'gitops-flow-pin.yaml',
    );
    const status = JSON.parse((await gitopsFlow(['--json', 'status'], dir)).stdout);
    expect(status.environments.prod).toMatchObject({
      pinned: { reason: expect.stringContaining('rollback') },
      verification: { state: 'verified' },
      drift: { checked: true, inSync: true },
    });
  });
});

describe('restore on a cluster', () => {
  it('by time: the cluster runs what git had then, and git records it', async () => {
    const { files, ns } = uniqueExample();
    const remote = makeRemote(files);
    const dir = cloneRemote(remote);
    commitFiles(dir, { [overlayKey('uat')]: withTag(files, 'uat', '1.1.0') }, 'uat 1.1.0', '2026-10-01T10:00:00Z');
    commitFiles(dir, { [overlayKey('uat')]: withTag(files, 'uat', '1.2.0') }, 'uat 1.2.0', '2026-10-02T10:00:00Z');
    gitSync(dir, ['push', '--quiet', 'origin', 'main']);
    expect((await gitopsFlow(['deploy', '--env', 'uat', '--timeout', '60s'], dir)).code).toBe(0);
    const r = await gitopsFlow(['restore', '--env', 'uat', '--at', '2026-10-01T23:59Z', '--timeout', '60s'], dir);
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    expect(liveImages('uat', ns('uat')).app).toBe('registry.example.com/team/pick-manager:1.1.0');
    expect(gitSync(remote.dir, ['show', `main:${overlayKey('uat')}`])).toContain('"1.1.0"');
  });

  it('of a whole environment onto a fresh, empty cluster: zero server-side diff at 10 historical points', async () => {
    const { files } = uniqueExample();
    const remote = makeRemote(files);
    const dir = cloneRemote(remote);
    const points: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const change: Record<string, string> = { [overlayKey('prod')]: withTag(files, 'prod', `3.${i}.0`) };
      if (i % 3 === 0) change[BASE] = (files[BASE] as string).replace('replicas: 2', `replicas: ${1 + (i % 4)}`);
      points.push(commitFiles(dir, change, `prod point ${i}`, `2026-09-${String(i).padStart(2, '0')}T10:00:00Z`));
    }
    gitSync(dir, ['push', '--quiet', 'origin', 'main']);
    for (const [i, point] of points.entries()) {
      const state = mkdtempSync(join(tmpdir(), 'gitops-flow-fresh-'));
      const cluster = await startCluster({ name: 'prod', dir: state, podReadyDelayMs: 200 });
      try {
        const env = { KUBECONFIG: cluster.kubeconfig };
        const restore = ['restore', '--env', 'prod', '--at', point, '--no-push', '--timeout', '60s'];
        if (i === 2) {
          // Point 3 has another base (replicas) than the tip: dev and uat read it, so the restore names
          // them and changes nothing until --include-shared (issue 17).
          const head = gitSync(dir, ['rev-parse', 'HEAD']);
          const refused = await gitopsFlow(restore, dir, env);
          expect(refused.code, refused.stderr).toBe(2);
          expect(refused.stderr).toContain('error[SHARED_FILES]: restore of prod');
          expect(refused.stderr).toContain(`${BASE}: read by dev, uat\n`);
          expect(gitSync(dir, ['rev-parse', 'HEAD'])).toBe(head);
        }
        // A whole environment: shared files included, as an operator restoring prod would choose.
        const r = await gitopsFlow([...restore, '--include-shared'], dir, env);
        expect(r.stderr, `point ${i + 1}`).not.toContain('error[');
        expect(r.code).toBe(0);
        const rendered = join(state, 'render.yaml');
        writeFileSync(rendered, (await gitopsFlow(['render', '--env', 'prod', '--ref', point], dir)).stdout);
        const diff = execFileSync(
          inject('toolPaths').kubectl,
          [
            '--kubeconfig',
            cluster.kubeconfig,
            '--context',
            'prod',
            'diff',
            '--server-side',
            '--field-manager=gitops-flow',
            '--force-conflicts',
            '-f',
            rendered,
          ],
          { env: e2eEnv(), encoding: 'utf8' },
        );
        expect(diff, `point ${i + 1}`).toBe('');
      } finally {
        await cluster.stop();
        rmSync(state, { recursive: true, force: true });
      }
    }
  }, 600_000);
});

describe('verification records', () => {
  it('a verified deploy of dev is what a requireVerified promote takes, not the newer untested tip', async () => {
    const { files } = uniqueExample({
      'gitops-flow.yaml':
        'environments:\n  dev: { cluster: { context: dev } }\n  uat: { cluster: { context: uat }, requireVerified: true }\n  prod: { cluster: { context: prod } }\n',
    });
    files[overlayKey('dev')] = withTag(files, 'dev', '1.4.2');
    const remote = makeRemote(files);
    const dir = cloneRemote(remote);
    expect((await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir)).code).toBe(0);
    expect(gitSync(remote.dir, ['notes', '--ref=refs/notes/gitops-flow-verified', 'list'])).not.toBe('');
    commitFiles(dir, { [overlayKey('dev')]: withTag(files, 'dev', '1.5.0-untested') }, 'dev 1.5.0, not deployed yet');
    gitSync(dir, ['push', '--quiet', 'origin', 'main']);
    const other = cloneRemote(remote);
    const r = await gitopsFlow(['--json', 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'], other);
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).source.kind).toBe('verified');
    expect(gitSync(remote.dir, ['show', `main:${overlayKey('uat')}`])).toContain('"1.4.2"');
    const status = JSON.parse((await gitopsFlow(['--json', 'status', '--no-cluster'], other)).stdout);
    expect(status.environments.dev.verification.state).toBe('pending');
  });
});

describe('drift', () => {
  it('status reports a workload whose live image differs from git', async () => {
    const { files, ns } = uniqueExample();
    const remote = makeRemote(files);
    const dir = cloneRemote(remote);
    expect((await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir)).code).toBe(0);
    kube('dev', [
      '-n',
      ns('dev'),
      'set',
      'image',
      'deployment/pick-manager',
      'app=registry.example.com/team/pick-manager:hotfix',
    ]);
    const s = JSON.parse((await gitopsFlow(['--json', 'status'], dir)).stdout);
    expect(s.environments.dev.drift).toEqual({
      checked: true,
      inSync: false,
      differences: [
        'Deployment/pick-manager container app: live registry.example.com/team/pick-manager:hotfix, git registry.example.com/team/pick-manager:1.0.0',
      ],
    });
    expect((await gitopsFlow(['diff', '--env', 'dev', '--cluster', '--exit-code'], dir)).code).toBe(1);
  });
});

describe('promote on a cluster, losing a push race', () => {
  it('replays on the newer tip and deploys its render (changed meanwhile) before the push lands', async () => {
    const { files, ns } = uniqueExample();
    files[overlayKey('dev')] = withTag(files, 'dev', '1.4.2');
    const remote = makeRemote(files);
    const dir = cloneRemote(remote);
    expect((await gitopsFlow(['deploy', '--env', 'uat', '--timeout', '60s'], dir)).code).toBe(0);
    // Someone else changes uat's render (not its images) and will push first.
    const other = cloneRemote(remote);
    commitFiles(
      other,
      { [overlayKey('uat')]: `${files[overlayKey('uat')]}commonAnnotations:\n  raced: "yes"\n` },
      'uat: an annotation',
    );
    const raced = racedEnv(other);
    const stubs = (raced.PATH ?? '').split(':')[0] as string;
    const r = await gitopsFlow(['promote', '--from', 'dev', '--to', 'uat', '--timeout', '60s'], dir, {
      PATH: `${stubs}:${e2eEnv().PATH}`,
    });
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('replaying on the new tip');
    expect(liveImages('uat', ns('uat')).app).toBe('registry.example.com/team/pick-manager:1.4.2');
    const annotations = kube('uat', [
      '-n',
      ns('uat'),
      'get',
      'deployment',
      'pick-manager',
      '-o',
      'jsonpath={.metadata.annotations.raced}',
    ]);
    expect(annotations).toBe('yes');
    expect(gitSync(remote.dir, ['log', '--format=%s', '-2', 'main']).split('\n')[1]).toBe('uat: an annotation');
  });
});
