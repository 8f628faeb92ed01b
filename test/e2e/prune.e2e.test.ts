/**
 * Prune on the local control plane: what an earlier deploy applied and the render no longer has is
 * deleted after the next deploy (the env's inventory ConfigMap says what was applied); --dry-run and
 * diff --cluster name it first; nothing else is touched.
 */
import { describe, expect, it } from 'vitest';
import { commitFiles, makeRepo } from '../helpers/git-fixtures.js';
import { gitopsFlow, kube, uniqueExample } from './helpers.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';

const extra = `apiVersion: apps/v1
kind: Deployment
metadata: { name: old-worker }
spec:
  replicas: 1
  selector: { matchLabels: { app: old-worker } }
  template:
    metadata: { labels: { app: old-worker } }
    spec: { containers: [{ name: worker, image: "worker:1" }] }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: old-settings }
data: { a: "1" }
`;

describe('prune', () => {
  it('a Deployment and a ConfigMap removed from the overlay are gone after the next deploy; --dry-run and diff --cluster name them first', async () => {
    const { files, ns } = uniqueExample({ 'kustomizations/overlays/dev/extra.yaml': extra });
    files[DEV] = (files[DEV] as string).replace('  - ../../base', '  - ../../base\n  - extra.yaml');
    const dir = makeRepo(files);
    expect((await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir)).code).toBe(0);
    const inventory = kube('dev', [
      '-n',
      ns('dev'),
      'get',
      'configmap',
      'gitops-flow-inventory-dev',
      '-o',
      'jsonpath={.data.objects\\.json}',
    ]);
    expect(JSON.parse(inventory)).toEqual(
      expect.arrayContaining([
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'old-worker', namespace: ns('dev') },
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'old-settings', namespace: ns('dev') },
        { apiVersion: 'v1', kind: 'Namespace', name: ns('dev') },
      ]),
    );
    // An object of the same kind that gitops-flow never applied is not its to delete.
    kube('dev', ['-n', ns('dev'), 'create', 'configmap', 'someone-elses']);

    commitFiles(
      dir,
      { 'kustomizations/overlays/dev/extra.yaml': null, [DEV]: (files[DEV] as string).replace('\n  - extra.yaml', '') },
      'worker retired',
    );
    const dry = await gitopsFlow(['--dry-run', 'deploy', '--env', 'dev'], dir);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(`would prune Deployment/old-worker (namespace ${ns('dev')})`);
    expect(dry.stderr).toContain(`would prune ConfigMap/old-settings (namespace ${ns('dev')})`);
    const diff = await gitopsFlow(['diff', '--env', 'dev', '--cluster'], dir);
    expect(diff.stdout + diff.stderr).toContain(`would prune Deployment/old-worker (namespace ${ns('dev')})`);
    expect(kube('dev', ['-n', ns('dev'), 'get', 'deployment', 'old-worker', '-o', 'name'])).toBe(
      'deployment.apps/old-worker',
    );

    const r = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir);
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`  pruned Deployment/old-worker (namespace ${ns('dev')})`);
    expect(r.stderr).toContain(`  pruned ConfigMap/old-settings (namespace ${ns('dev')})`);
    expect(kube('dev', ['-n', ns('dev'), 'get', 'deployments', '-o', 'name'])).toBe('deployment.apps/pick-manager');
    const configMaps = kube('dev', ['-n', ns('dev'), 'get', 'configmaps', '-o', 'name']);
    expect(configMaps, r.stderr).not.toContain('old-settings');
    expect(configMaps).toContain('someone-elses');
    // Run again: nothing left to prune.
    const again = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('pruned');
  });

  it("what another env's inventory also lists is kept: two envs on one cluster share a Deployment and a ConfigMap, one drops them", async () => {
    const { files, ns } = uniqueExample({
      'kustomizations/shared/kustomization.yaml': 'resources:\n  - extra.yaml\n',
      'kustomizations/shared/extra.yaml': extra,
      'gitops-flow.yaml':
        'environments:\n  dev: { cluster: { context: dev } }\n  preview: { cluster: { context: dev } }\n  uat: {}\n  prod: {}\n',
    });
    files[DEV] = (files[DEV] as string).replace('  - ../../base', '  - ../../base\n  - ../../shared');
    const preview = 'kustomizations/overlays/preview/kustomization.yaml';
    files[preview] = `resources:\n  - ../../shared\n  - own.yaml\nnamespace: ${ns('dev')}\n`;
    files['kustomizations/overlays/preview/own.yaml'] =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: preview-settings }\ndata: { a: "1" }\n';
    const dir = makeRepo(files);
    for (const env of ['dev', 'preview'])
      expect((await gitopsFlow(['deploy', '--env', env, '--timeout', '60s'], dir)).code, env).toBe(0);
    commitFiles(dir, { [DEV]: (files[DEV] as string).replace('\n  - ../../shared', '') }, 'dev drops the worker');
    const dry = await gitopsFlow(['--dry-run', 'deploy', '--env', 'dev'], dir);
    expect(dry.code).toBe(0);
    expect(dry.stderr).not.toContain('would prune');
    const r = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir);
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `  not pruned Deployment/old-worker (namespace ${ns('dev')}) (kept: env preview applies it too)`,
    );
    expect(kube('dev', ['-n', ns('dev'), 'get', 'deployment', 'old-worker', '-o', 'name'])).toBe(
      'deployment.apps/old-worker',
    );
    expect(kube('dev', ['-n', ns('dev'), 'get', 'configmap', 'old-settings', '-o', 'name'])).toBe(
      'configmap/old-settings',
    );
    // Once preview drops them too, preview's deploy prunes them: dev's inventory no longer claims them.
    commitFiles(dir, { [preview]: (files[preview] as string).replace('  - ../../shared\n', '') }, 'preview drops it');
    const last = await gitopsFlow(['deploy', '--env', 'preview', '--timeout', '60s'], dir);
    expect(last.code, last.stderr).toBe(0);
    expect(last.stderr).toContain(`  pruned Deployment/old-worker (namespace ${ns('dev')})`);
    expect(last.stderr).toContain(`  pruned ConfigMap/old-settings (namespace ${ns('dev')})`);
    expect(kube('dev', ['-n', ns('dev'), 'get', 'deployments', '-o', 'name'])).toBe('deployment.apps/pick-manager');
  });

  it('prune: false in config keeps everything', async () => {
    const { files, ns } = uniqueExample({
      'kustomizations/overlays/dev/extra.yaml': extra,
      'gitops-flow.yaml': 'environments:\n  dev: { cluster: { context: dev }, prune: false }\n  uat: {}\n  prod: {}\n',
    });
    files[DEV] = (files[DEV] as string).replace('  - ../../base', '  - ../../base\n  - extra.yaml');
    const dir = makeRepo(files);
    expect((await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir)).code).toBe(0);
    commitFiles(
      dir,
      { 'kustomizations/overlays/dev/extra.yaml': null, [DEV]: (files[DEV] as string).replace('\n  - extra.yaml', '') },
      'worker retired',
    );
    const r = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir);
    expect(r.code).toBe(0);
    expect(kube('dev', ['-n', ns('dev'), 'get', 'deployment', 'old-worker', '-o', 'name'])).toBe(
      'deployment.apps/old-worker',
    );
  });
});
