/**
 * An APIService on the local control plane whose backing Service does not exist is never Available, so
 * the deploy waits for it and fails at its deadline naming why, until config's verify.skip names it.
 * It is deleted afterwards: an unavailable aggregated API troubles discovery for every later test on
 * the cluster. (A Local APIService cannot come from a kustomize render with a namespace: kustomize
 * sets its spec.service.namespace, which the API server then refuses without a name; the ready rule is
 * unit-tested on a recorded object.)
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { commitFiles, makeRepo } from '../helpers/git-fixtures.js';
import { gitopsFlow, kube, uniqueExample } from './helpers.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';

const apiService = (group: string, service = '') => `apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: { name: v1.${group} }
spec:
  group: ${group}
  version: v1
  groupPriorityMinimum: 1000
  versionPriority: 15${service}
`;

describe('verify: APIService', () => {
  it('an APIService without its Service is awaited until the deadline, which names the reason; verify.skip lets the render deploy', async () => {
    const id = randomBytes(3).toString('hex');
    const missing = `missing${id}.e2e.example.com`;
    const { files, ns } = uniqueExample({
      'kustomizations/overlays/dev/extra.yaml': apiService(
        missing,
        `\n  insecureSkipTLSVerify: true\n  service: { name: nowhere-${id}, namespace: default, port: 443 }`,
      ),
      'gitops-flow.yaml':
        'environments:\n  dev: { cluster: { context: dev }, prune: false }\n  uat: { cluster: { context: uat } }\n  prod: { cluster: { context: prod } }\n',
    });
    files[DEV] = (files[DEV] as string).replace('  - ../../base', '  - ../../base\n  - extra.yaml');
    const dir = makeRepo(files);
    try {
      const r = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '15s'], dir);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('error[ROLLOUT_FAILED]');
      expect(r.stderr).toMatch(
        new RegExp(
          `APIService/v1\\.${missing.replace(/\./g, '\\.')}: ServiceNotFound: .*nowhere-${id}.* \\(not ready before the timeout\\)`,
        ),
      );
      // The workloads of the same render were verified as usual.
      expect(r.stderr).toContain(`✓ Deployment/pick-manager (namespace ${ns('dev')}) ready`);

      // verify.skip in config: the same render deploys once the unavailable one is not waited for.
      commitFiles(
        dir,
        {
          'gitops-flow.yaml': `environments:\n  dev: { cluster: { context: dev }, prune: false, verify: { skip: [APIService/v1.${missing}] } }\n  uat: { cluster: { context: uat } }\n  prod: { cluster: { context: prod } }\n`,
        },
        'do not wait for the missing API',
      );
      const skipped = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '30s'], dir);
      expect(skipped.stderr).not.toContain('error[');
      expect(skipped.code).toBe(0);
      expect(skipped.stderr).not.toContain(`APIService/v1.${missing}`);
    } finally {
      kube('dev', ['delete', 'apiservice', `v1.${missing}`, '--ignore-not-found', '--wait=false']);
    }
  });
});
