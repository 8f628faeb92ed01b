/** deploy and promote end to end: the built CLI, a clean environment, real clusters (dev, uat). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { cloneRemote, commitFiles, gitSync, makeRemote, makeRepo, snapshot } from '../helpers/git-fixtures.js';
import { startRegistry } from '../helpers/registry.js';
import {
  daemonSetYaml,
  e2eEnv,
  gitopsFlow,
  kube,
  liveImages,
  neverReadyPatch,
  statefulSetYaml,
  uniqueExample,
} from './helpers.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const UAT = 'kustomizations/overlays/uat/kustomization.yaml';

describe('deploy', () => {
  it("applies the seed layout, waits for every workload and exits 0; the live image is the overlay's", async () => {
    const { files, ns } = uniqueExample();
    const dir = makeRepo(files);
    const r = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir);
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`✓ Deployment/pick-manager (namespace ${ns('dev')}) ready`);
    expect(liveImages('dev', ns('dev'))).toEqual({
      app: 'registry.example.com/team/pick-manager:1.0.0',
      'order-manager': 'registry.example.com/team/order-manager:2.3.0',
    });
    expect(
      kube('dev', ['-n', ns('dev'), 'get', 'deployment', 'pick-manager', '-o', 'jsonpath={.status.readyReplicas}']),
    ).toBe('2');
    expect(kube('dev', ['-n', ns('dev'), 'get', 'hpa', 'pick-manager', '-o', 'name'])).toBe(
      'horizontalpodautoscaler.autoscaling/pick-manager',
    );
    // Server-side apply with our field manager; the rendered manifest is kept as an artifact.
    expect(
      kube('dev', [
        '-n',
        ns('dev'),
        'get',
        'deployment',
        'pick-manager',
        '--show-managed-fields',
        '-o',
        'jsonpath={.metadata.managedFields[*].manager}',
      ]),
    ).toContain('gitops-flow');
    expect(readFileSync(join(dir, '.gitops-flow/rendered/dev.yaml'), 'utf8')).toContain('pick-manager:1.0.0');
    // The namespace of dev does not exist in the uat cluster: separate clusters.
    expect(() => kube('uat', ['get', 'namespace', ns('dev')])).toThrow(/NotFound/);
  });

  it('waits for StatefulSets and DaemonSets in the render too', async () => {
    const { files, ns } = uniqueExample({
      'kustomizations/overlays/dev/extra.yaml': `${statefulSetYaml('cache', 'redis:7')}---
${daemonSetYaml('agent', 'fluent-bit:3')}`,
    });
    files[DEV] = (files[DEV] as string).replace('  - ../../base', '  - ../../base\n  - extra.yaml');
    const dir = makeRepo(files);
    const r = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '90s'], dir);
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    for (const w of ['Deployment/pick-manager', 'StatefulSet/cache', 'DaemonSet/agent'])
      expect(r.stderr).toContain(`✓ ${w} (namespace ${ns('dev')}) ready`);
    expect(
      kube('dev', ['-n', ns('dev'), 'get', 'statefulset', 'cache', '-o', 'jsonpath={.status.readyReplicas}']),
    ).toBe('2');
  });

  it('a failing rollout exits 1 naming the workload, pod and reason, and the cluster is back at the last good render', async () => {
    const { files, ns } = uniqueExample();
    const dir = makeRepo(files);
    expect((await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir)).code).toBe(0);
    const bad = (files[DEV] as string).replace('newTag: "1.0.0"', 'newTag: "6.6.6"') + neverReadyPatch();
    commitFiles(dir, { [DEV]: bad }, 'a release whose pods never become ready');
    const r = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '25s'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[ROLLOUT_FAILED]');
    expect(r.stderr).toContain(`Deployment/pick-manager (namespace ${ns('dev')})`);
    expect(r.stderr).toMatch(/pod pick-manager-[a-z0-9]+-[a-z0-9]+: Ready=False/);
    expect(r.stderr).toContain('The cluster is back at');
    expect(liveImages('dev', ns('dev')).app).toBe('registry.example.com/team/pick-manager:1.0.0');
  });

  it('--dry-run validates against the API server and changes nothing', async () => {
    const { files, ns } = uniqueExample();
    const dir = makeRepo(files);
    const r = await gitopsFlow(['--dry-run', 'deploy', '--env', 'dev'], dir);
    expect(r.code).toBe(0);
    expect(() => kube('dev', ['get', 'namespace', ns('dev')])).toThrow(/NotFound/);
  });

  it('an unreachable cluster exits 1 saying so', async () => {
    const { files } = uniqueExample();
    const dir = makeRepo({ ...files, 'gitops-flow.yaml': 'environments:\n  dev: { cluster: { context: nowhere } }\n' });
    const kubeconfig = join(dir, 'kubeconfig');
    execFileSync('git', ['config', '--file', kubeconfig, 'x.y', 'z']);
    const r = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '5s'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error\[(CLUSTER_UNREACHABLE|APPLY_FAILED)\]/);
  });
});

describe('promote end to end', () => {
  it("uat runs dev's image, verified, and the remote has the commit", async () => {
    const { files, ns } = uniqueExample();
    files[DEV] = (files[DEV] as string).replace('newTag: "1.0.0"', 'newTag: "1.4.2"');
    const remote = makeRemote(files);
    const dir = cloneRemote(remote);
    const r = await gitopsFlow(['--json', 'promote', '--from', 'dev', '--to', 'uat', '--timeout', '60s'], dir);
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ deployed: true, pushed: true, changed: true });
    expect(liveImages('uat', ns('uat')).app).toBe('registry.example.com/team/pick-manager:1.4.2');
    expect(gitSync(remote.dir, ['show', `main:${UAT}`])).toContain('1.4.2');
    expect(() => kube('dev', ['get', 'namespace', ns('uat')])).toThrow(/NotFound/);
  });

  it('nothing is pushed (and no local commit is left) when the uat rollout fails', async () => {
    const { files, ns } = uniqueExample();
    const remote = makeRemote(files);
    const dir = cloneRemote(remote);
    // uat's last good state is live first.
    expect((await gitopsFlow(['deploy', '--env', 'uat', '--timeout', '60s'], dir)).code).toBe(0);
    // dev was given an image whose pods never become Ready (kwok's stage skips tags ending in never-ready).
    commitFiles(
      dir,
      { [DEV]: (files[DEV] as string).replace('newTag: "1.0.0"', 'newTag: never-ready') },
      'dev gets a broken image',
    );
    gitSync(dir, ['push', '--quiet', 'origin', 'main']);
    const before = snapshot(remote.dir);
    const head = gitSync(dir, ['rev-parse', 'HEAD']);
    const r = await gitopsFlow(['promote', '--from', 'dev', '--to', 'uat', '--timeout', '25s'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[ROLLOUT_FAILED]');
    expect(snapshot(remote.dir)).toBe(before);
    expect(gitSync(dir, ['rev-parse', 'HEAD'])).toBe(head);
    expect(liveImages('uat', ns('uat')).app).toBe('registry.example.com/team/pick-manager:1.0.0');
  });
});

describe('digest pinning end to end (a real registry on loopback, the prod cluster)', () => {
  it('a prod deploy without digests is refused before anything is applied; pinned by suggest --pin-digest, prod runs image:tag@digest', async () => {
    const registry = await startRegistry();
    try {
      const pushed = await registry.push('team/pick-manager', '1.4.2');
      const { files, ns } = uniqueExample({
        'gitops-flow.yaml':
          'environments:\n  dev: {}\n  uat: {}\n  prod: { cluster: { context: prod }, requireDigest: true }\n',
      });
      const remote = makeRemote(files);
      const dir = cloneRemote(remote);
      const refused = await gitopsFlow(['deploy', '--env', 'prod', '--timeout', '60s'], dir);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('error[DIGEST_REQUIRED]: prod requires images pinned by digest');
      expect(() => kube('prod', ['get', 'namespace', ns('prod')])).toThrow(/NotFound/);

      const image = `${registry.host}/team/pick-manager`;
      const env = {};
      for (const i of [`application-image=${image}:1.4.2`, 'order-manager-image=' + image + ':1.4.2']) {
        const s = await gitopsFlow(
          ['suggest', '--push-to-target', '--env-repo', remote.url, '--env', 'prod', '--image', i],
          dir,
          env,
        );
        expect(s.code, s.stderr).toBe(0);
      }
      gitSync(dir, ['pull', '--quiet', '--ff-only']);
      const r = await gitopsFlow(['deploy', '--env', 'prod', '--timeout', '60s'], dir);
      expect(r.stderr).not.toContain('error[');
      expect(r.code).toBe(0);
      expect(liveImages('prod', ns('prod'))).toEqual({
        app: `${image}:1.4.2@${pushed}`,
        'order-manager': `${image}:1.4.2@${pushed}`,
      });
    } finally {
      await registry.stop();
    }
  });
});

describe('pinned tools', () => {
  it("the kubectl and kustomize the tests use report exactly the manifest's versions", () => {
    const versions = inject('toolVersions');
    const env = e2eEnv();
    const kubectl = JSON.parse(
      execFileSync('kubectl', ['version', '--client', '-o', 'json'], { env, encoding: 'utf8' }),
    ) as { clientVersion: { gitVersion: string } };
    expect(kubectl.clientVersion.gitVersion).toBe(versions.kubectl);
    expect(execFileSync('kustomize', ['version'], { env, encoding: 'utf8' }).trim()).toBe(versions.kustomize);
  });
});
