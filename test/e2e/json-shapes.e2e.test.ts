/** The `--json` shapes that need a live cluster: deploy, status with drift, diff --cluster. */
import { describe, expect, it } from 'vitest';
import { commitFiles, makeRepo } from '../helpers/git-fixtures.js';
import { expectShape } from '../helpers/json-shapes.js';
import { gitopsFlow, kube, uniqueExample } from './helpers.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';

describe('--json shapes against a cluster', () => {
  it('deploy, then status (verified, in sync, then drift) and diff --cluster', async () => {
    const { files, ns } = uniqueExample();
    const dir = makeRepo(files);
    const d = await gitopsFlow(['--json', 'deploy', '--env', 'dev', '--timeout', '60s'], dir);
    expect(d.code).toBe(0);
    const deployed = expectShape(d, 'deploy');
    expect(deployed).toMatchObject({ env: 'dev', dryRun: false, workloads: ['Deployment/pick-manager'] });
    expect(deployed.applied).toContain('deployment.apps/pick-manager');
    // Progress and the ✓ lines are for people: stderr only.
    expect(d.stderr).toContain(`✓ Deployment/pick-manager (namespace ${ns('dev')}) ready`);

    const s = expectShape(await gitopsFlow(['--json', 'status'], dir), 'status');
    expect(s.environments.dev).toMatchObject({
      verification: { state: 'verified' },
      drift: { checked: true, inSync: true, differences: [] },
    });

    kube('dev', [
      '-n',
      ns('dev'),
      'set',
      'image',
      'deployment/pick-manager',
      'app=registry.example.com/team/pick-manager:9.9.9',
    ]);
    const drifted = expectShape(await gitopsFlow(['--json', 'status'], dir), 'status');
    expect(drifted.environments.dev?.drift).toMatchObject({ checked: true, inSync: false });
    expect(drifted.environments.dev?.drift.differences[0]).toContain(
      'live registry.example.com/team/pick-manager:9.9.9',
    );

    const diff = await gitopsFlow(['--json', 'diff', '--env', 'dev', '--cluster'], dir);
    expect(diff.code).toBe(0);
    expect(expectShape(diff, 'diff')).toMatchObject({ env: 'dev', from: 'cluster', changed: true, images: {} });

    // A dry run of a new commit: same shape, dryRun true.
    commitFiles(dir, { [DEV]: (files[DEV] as string).replace('newTag: "1.0.0"', 'newTag: "1.0.1"') }, 'dev 1.0.1');
    const dry = expectShape(await gitopsFlow(['--json', '--dry-run', 'deploy', '--env', 'dev'], dir), 'deploy');
    expect(dry.dryRun).toBe(true);
  });
});
