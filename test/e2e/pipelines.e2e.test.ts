/**
 * A smoke test after the deploy, end to end on the local control plane: as a hook of promote (fails →
 * the last good render is live again and nothing is pushed) and as a step of a pipeline of
 * gitops-flow.yaml with `restore-last-good` on its failure path. The built CLI, a clean environment.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloneRemote, commitFiles, gitSync, makeRemote, makeRepo, snapshot } from '../helpers/git-fixtures.js';
import { gitopsFlow, liveImages, uniqueExample } from './helpers.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const CONFIG = `order: [dev, uat, prod]
environments:
  dev: { cluster: { context: dev } }
  uat:
    cluster: { context: uat }
    hooks:
      promote:
        after:
          verify:
            - name: smoke test
              run: [scripts/smoke.sh, '\${{ environment.name }}']
  prod: { cluster: { context: prod } }
pipelines:
  release-dev:
    inputs: { healthy: { default: 'yes' } }
    environment: dev
    steps:
      - id: deploy
        uses: deploy
        with: { env: dev, timeout: 60s }
      - name: smoke test
        run: [sh, -c, 'echo "smoke $1 on $2"; [ "$3" = yes ]', x, '\${{ steps.deploy.outputs.workloads }}', '\${{ environment.name }}', '\${{ inputs.healthy }}']
      - uses: restore-last-good
        if: failure()
`;
const SMOKE = '#!/bin/sh\necho "GET https://$1.example.com/healthz: 503"\nexit 1\n';

describe('a smoke test after verify', () => {
  it.each([
    ['after', 'verify'],
    ['before', 'git/push'],
  ])(
    'as a promote hook (%s %s): it fails, so uat is back at its last good render and nothing is pushed',
    async (when, anchor) => {
      const config = CONFIG.replace('        after:\n          verify:', `        ${when}:\n          ${anchor}:`);
      expect(config).toContain(`${when}:\n          ${anchor}:`);
      const { files, ns } = uniqueExample({ 'gitops-flow.yaml': config, 'scripts/smoke.sh': SMOKE });
      files[DEV] = (files[DEV] as string).replace('newTag: "1.0.0"', 'newTag: "1.4.2"');
      const remote = makeRemote(files);
      const dir = cloneRemote(remote);
      chmodSync(join(dir, 'scripts/smoke.sh'), 0o755);
      gitSync(dir, ['update-index', '--chmod=+x', 'scripts/smoke.sh']);
      gitSync(dir, ['commit', '--quiet', '-m', 'smoke test executable']);
      gitSync(dir, ['push', '--quiet', 'origin', 'main']);
      expect((await gitopsFlow(['deploy', '--env', 'uat', '--timeout', '60s'], dir)).code).toBe(0);
      const before = snapshot(remote.dir);
      const head = gitSync(dir, ['rev-parse', 'HEAD']);
      const r = await gitopsFlow(['promote', '--from', 'dev', '--to', 'uat', '--timeout', '60s'], dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('✓ deploy');
      expect(r.stderr).toContain('GET https://uat.example.com/healthz: 503');
      expect(r.stderr).toContain('error[STEP_FAILED]: Step "smoke test" exited with 1.');
      expect(r.stderr).toContain('A step after the deploy failed: re-applying the last good render');
      expect(r.stderr).toContain('The cluster is back at');
      expect(liveImages('uat', ns('uat')).app).toBe('registry.example.com/team/pick-manager:1.0.0');
      expect(snapshot(remote.dir)).toBe(before);
      expect(gitSync(dir, ['rev-parse', 'HEAD'])).toBe(head);
    },
  );

  it('as a pipeline step: a failing smoke test restores the last good render; a passing one keeps the release', async () => {
    const { files, ns } = uniqueExample({ 'gitops-flow.yaml': CONFIG });
    const dir = makeRepo(files);
    expect((await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir)).code).toBe(0);
    commitFiles(dir, { [DEV]: (files[DEV] as string).replace('newTag: "1.0.0"', 'newTag: "1.5.0"') }, 'dev 1.5.0');
    const failing = await gitopsFlow(['run', 'release-dev', '--input', 'healthy=no'], dir);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain('smoke Deployment/pick-manager on dev');
    expect(failing.stderr).toContain('error[STEP_FAILED]');
    expect(failing.stderr).toContain('The cluster is back at');
    expect(liveImages('dev', ns('dev')).app).toBe('registry.example.com/team/pick-manager:1.0.0');
    const passing = await gitopsFlow(['--json', 'run', 'release-dev'], dir);
    expect(passing.stderr).not.toContain('error[');
    expect(passing.code).toBe(0);
    expect(liveImages('dev', ns('dev')).app).toBe('registry.example.com/team/pick-manager:1.5.0');
    const out = JSON.parse(passing.stdout) as { steps: { name: string; result: string }[] };
    expect(out.steps.map((s) => [s.name, s.result])).toEqual([
      ['deploy', 'succeeded'],
      ['smoke test', 'succeeded'],
      ['restore-last-good', 'not-run'],
    ]);
  });
});
