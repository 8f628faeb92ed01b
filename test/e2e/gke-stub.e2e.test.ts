/**
 * GKE environments with a STUB gcloud (no GKE exists here): the stub records its argv and, like the
 * real `gcloud container clusters get-credentials`, adds a `gke_<project>_<location>_<cluster>` context
 * to the kubeconfig — pointing at the local dev control plane, so the deploy itself is real.
 */
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { makeRepo, tempDir } from '../helpers/git-fixtures.js';
import { addCanarySource } from '../setup/canary.js';
import { gitopsFlow, kube, liveImages, uniqueExample } from './helpers.js';

const GKE_CONFIG =
  'environments:\n  dev:\n    cluster: { gke: { project: shipyard-prod, location: us-east1, cluster: bluenose } }\n';

function stubGcloud(dir: string, behaviour: 'ok' | 'fail'): { path: string; log: string } {
  const log = join(dir, 'gcloud-argv.log');
  const kubectl = inject('toolPaths').kubectl;
  const body =
    behaviour === 'ok'
      ? `ctx="gke_shipyard-prod_us-east1_bluenose"\nexec "${kubectl}" config set-context "$ctx" --cluster=dev --user=dev >/dev/null\n`
      : 'echo "ERROR: (gcloud.container.clusters.get-credentials) You do not currently have an active account selected." >&2\nexit 1\n';
  writeFileSync(
    join(dir, 'gcloud'),
    `#!/bin/sh\n# STUB gcloud: records its argv, then ${behaviour === 'ok' ? 'adds the context' : 'fails like an unauthenticated gcloud'}\nprintf '%s\\n' "$*" >> "${log}"\n${body}`,
  );
  chmodSync(join(dir, 'gcloud'), 0o755);
  return { path: dir, log };
}

describe('GKE environments (stub gcloud)', () => {
  it('stub gcloud: get-credentials is called with the exact argv, then the deploy goes to that context', async () => {
    const { files, ns } = uniqueExample({ 'gitops-flow.yaml': GKE_CONFIG });
    const dir = makeRepo(files);
    const home = tempDir();
    const kubeconfig = join(home, 'kubeconfig');
    copyFileSync(inject('kubeconfig'), kubeconfig);
    addCanarySource(kubeconfig); // a copy of the credentials on purpose (canary mode: not a leak)
    const stub = stubGcloud(home, 'ok');
    const r = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir, {
      KUBECONFIG: kubeconfig,
      PATH: `${stub.path}:${inject('toolPath')}:/usr/bin:/bin`,
    });
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    expect(readFileSync(stub.log, 'utf8')).toBe(
      'container clusters get-credentials bluenose --location us-east1 --project shipyard-prod --quiet\n',
    );
    expect(r.stderr).toContain('to gke_shipyard-prod_us-east1_bluenose');
    expect(liveImages('dev', ns('dev')).app).toBe('registry.example.com/team/pick-manager:1.0.0');
    // The dotenv report for GitLab names what was released.
    const dotenv = readFileSync(join(dir, '.gitops-flow', 'deploy.env'), 'utf8');
    expect(dotenv).toContain('GITOPS_FLOW_ENV=dev\n');
    expect(dotenv).toContain(
      'GITOPS_FLOW_IMAGES=application-image=registry.example.com/team/pick-manager:1.0.0,order-manager-image=registry.example.com/team/order-manager:2.3.0\n',
    );
  });

  it("stub gcloud failing: exit 1 with gcloud's reason and how to fix it; nothing applied", async () => {
    const { files, ns } = uniqueExample({ 'gitops-flow.yaml': GKE_CONFIG });
    const dir = makeRepo(files);
    const home = tempDir();
    const stub = stubGcloud(home, 'fail');
    const r = await gitopsFlow(['deploy', '--env', 'dev'], dir, {
      PATH: `${stub.path}:${inject('toolPath')}:/usr/bin:/bin`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[GKE_CREDENTIALS_FAILED]');
    expect(r.stderr).toContain('You do not currently have an active account selected');
    expect(r.stderr).toContain('gcloud auth list');
    expect(() => kube('dev', ['get', 'namespace', ns('dev')])).toThrow(/NotFound/);
  });
});
