/**
 * Each kind whose readiness is not a pod's, and each workload that is not a Deployment, on the local
 * control plane, both ways: a deploy whose object becomes ready passes, and a later deploy whose new
 * object never does (a claim no volume matches, a load balancer or Ingress that no controller gives
 * an address) or whose pods fail (kwok stages) fails naming the object and why, with the cluster back
 * at the last good render. What no controller does here (addresses), the test does through the
 * status subresource, as a cloud controller would.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { commitFiles, makeRepo } from '../helpers/git-fixtures.js';
import { daemonSetYaml, gitopsFlow, kube, statefulSetYaml, until, withExtra } from './helpers.js';

const EXTRA = 'kustomizations/overlays/dev/extra.yaml';

/** Deploys dev in the background and returns its result; `--timeout` long enough for a passing deploy. */
const deploy = (dir: string, timeout: string) => gitopsFlow(['deploy', '--env', 'dev', '--timeout', timeout], dir);

/** The failed deploy's error names `line` and says the last good render is back. */
function expectFailedAndRestored(r: { code: number; stderr: string }, line: string | RegExp) {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toContain('error[ROLLOUT_FAILED]');
  if (typeof line === 'string') expect(r.stderr).toContain(line);
  else expect(r.stderr).toMatch(line);
  expect(r.stderr).toContain('The cluster is back at');
}

const claim = (name: string, storageClass: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: ${name} }
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ${storageClass}
  resources: { requests: { storage: 1Gi } }
`;

describe('verify: PersistentVolumeClaim', () => {
  it('a claim that binds passes the deploy; a claim no volume matches fails it at the deadline, and is pruned by the restore', async () => {
    const sc = `pv-${randomBytes(3).toString('hex')}`;
    const good = `apiVersion: v1
kind: PersistentVolume
metadata: { name: ${sc} }
spec:
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteOnce]
  storageClassName: ${sc}
  hostPath: { path: /tmp/${sc} }
---
${claim('data', sc)}`;
    const { files, ns } = withExtra(good);
    const dir = makeRepo(files);
    const ok = await deploy(dir, '60s');
    expect(ok.stderr).not.toContain('error[');
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain(`✓ PersistentVolumeClaim/data (namespace ${ns('dev')}) ready: bound`);

    // No volume and no provisioner for this class: the claim stays Pending.
    commitFiles(dir, { [EXTRA]: `${good}---\n${claim('more', `none-${sc}`)}` }, 'a claim nothing can satisfy');
    const r = await deploy(dir, '8s');
    expectFailedAndRestored(
      r,
      `PersistentVolumeClaim/more (namespace ${ns('dev')}): Pending: not bound yet (not ready before the timeout)`,
    );
    // The claim that binds was not what failed the deploy.
    expect(r.stderr).not.toMatch(/PersistentVolumeClaim\/data [^\n]*not ready before the timeout/);
    await until(
      () => !kube('dev', ['-n', ns('dev'), 'get', 'pvc', '-o', 'name']).includes('/more'),
      'the unbound claim to be pruned',
    );
    expect(kube('dev', ['-n', ns('dev'), 'get', 'pvc', 'data', '-o', 'jsonpath={.status.phase}'])).toBe('Bound');
  });
});

const loadBalancer = (name: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  type: LoadBalancer
  selector: { app: pick-manager }
  ports: [{ port: 80 }]
`;
const ingress = (name: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name} }
spec:
  defaultBackend: { service: { name: pick-manager, port: { number: 80 } } }
`;

describe('verify: addresses', () => {
  const cases: [string, string, (name: string) => string, string, string, string][] = [
    [
      'a LoadBalancer Service',
      'service',
      loadBalancer,
      '{"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.7"}]}}}',
      'address 203.0.113.7',
      'waiting for a load balancer address',
    ],
    [
      'an Ingress',
      'ingress',
      ingress,
      '{"status":{"loadBalancer":{"ingress":[{"hostname":"web.example.com"}]}}}',
      'address web.example.com',
      'waiting for an address',
    ],
  ];
  it.each(cases)(
    '%s that gets an address passes the deploy, which waits for it; one that gets none fails it at the deadline and is pruned',
    async (_what, resource, manifest, address, ready, waiting) => {
      const { files, ns } = withExtra(manifest('public'));
      const dir = makeRepo(files);
      const kind = resource === 'service' ? 'Service' : 'Ingress';
      const ref = `${kind}/public (namespace ${ns('dev')})`;
      const run = gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s', '--json-events'], dir);
      await until(() => kube('dev', ['-n', ns('dev'), 'get', resource, 'public', '-o', 'name']) !== '', kind);
      await new Promise((r) => setTimeout(r, 1500)); // the deploy is waiting on it now
      kube('dev', [
        '-n',
        ns('dev'),
        'patch',
        `${resource}/public`,
        '--subresource=status',
        '--type=merge',
        '-p',
        address,
      ]);
      const ok = await run;
      expect(ok.stderr).not.toContain('error[');
      expect(ok.code).toBe(0);
      const events = ok.stderr
        .split('\n')
        .filter((l) => l.startsWith('{"event"'))
        .map((l) => JSON.parse(l) as { event: string; object?: string; status?: string; message?: string });
      const awaited = events.findIndex((e) => e.object === ref && e.status === 'InProgress' && e.message === waiting);
      expect(awaited, 'the deploy waited for the address').toBeGreaterThanOrEqual(0);
      const done = events.findIndex((e) => e.object === ref && e.event === 'ready' && e.message === ready);
      expect(done).toBeGreaterThan(awaited);

      commitFiles(dir, { [EXTRA]: `${manifest('public')}---\n${manifest('other')}` }, `a ${kind} without an address`);
      const r = await deploy(dir, '8s');
      expectFailedAndRestored(r, `${kind}/other (namespace ${ns('dev')}): ${waiting} (not ready before the timeout)`);
      expect(r.stderr).not.toContain(`${ref}: `);
      await until(
        () => !kube('dev', ['-n', ns('dev'), 'get', resource, '-o', 'name']).includes('/other'),
        `the ${kind} without an address to be pruned`,
      );
      // The one with an address is still there, with its address.
      expect(
        kube('dev', ['-n', ns('dev'), 'get', resource, 'public', '-o', 'jsonpath={.status.loadBalancer.ingress[0]}']),
      ).toContain(ready.replace('address ', ''));
    },
  );
});

const statefulSet = (image: string) => statefulSetYaml('db', image);
const daemonSet = (image: string) => daemonSetYaml('agent', image);

/** The image of the live workload's pod template. */
const liveImage = (ns: string, resource: string) =>
  kube('dev', ['-n', ns, 'get', resource, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);

describe('verify: StatefulSet and DaemonSet', () => {
  const cases: [string, string, (image: string) => string, string, string, string, RegExp][] = [
    [
      'a StatefulSet whose new pods crash-loop',
      'statefulset/db',
      statefulSet,
      'db',
      'StatefulSet/db',
      '2/2 ready',
      /StatefulSet\/db \(namespace [a-z0-9-]+\): pod db-1: CrashLoopBackOff\n.*CrashLoopBackOff: restarted 2 times/,
    ],
    [
      'a DaemonSet whose new pod cannot pull its image',
      'daemonset/agent',
      daemonSet,
      'agent',
      'DaemonSet/agent',
      '1/1 ready',
      /DaemonSet\/agent \(namespace [a-z0-9-]+\): pod agent-[a-z0-9]+: ErrImagePull\n.*ErrImagePull: 2 failed pulls/,
    ],
  ];
  it.each(cases)(
    '%s: the first release becomes ready and passes; the broken one fails fast naming pod and reason, and the old image is back',
    async (_what, resource, manifest, image, kind, ready, failure) => {
      const first = `registry.example.com/team/${image}:1`;
      const broken = `registry.example.com/team/${image}:2-${image === 'db' ? 'crash-loop' : 'pull-fails'}`;
      const { files, ns } = withExtra(manifest(first));
      const dir = makeRepo(files);
      const ok = await deploy(dir, '60s');
      expect(ok.stderr).not.toContain('error[');
      expect(ok.code).toBe(0);
      expect(ok.stderr).toContain(`✓ ${kind} (namespace ${ns('dev')}) ready: ${ready}`);

      commitFiles(dir, { [EXTRA]: manifest(broken) }, 'a broken release');
      // A timeout no test waits for: only failing fast ends this deploy within the test's own time limit.
      const r = await deploy(dir, '10m');
      expectFailedAndRestored(r, failure);
      // A StatefulSet waits for its broken pod before it rolls back (OrderedReady): the restore deletes it.
      if (image === 'db')
        expect(r.stderr).toContain('StatefulSet/db: deleted pod db-1 of the failed release (not Ready)');
      expect(liveImage(ns('dev'), resource)).toBe(first);
      expect(
        kube('dev', ['-n', ns('dev'), 'get', 'pods', '-o', 'jsonpath={.items[*].spec.containers[0].image}']),
      ).not.toContain(broken);
    },
  );
});
