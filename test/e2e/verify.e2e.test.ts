/**
 * Verification of every object of the render on the local control plane: each kind reaching ready and
 * failing, pods that fail fast (kwok stages: crash loop, image pull, container config; the real
 * scheduler: unschedulable), a failing Job, a custom resource whose condition the test sets, rules
 * from config, and the cluster back at the last good render afterwards.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { commitFiles, makeRepo } from '../helpers/git-fixtures.js';
import { daemonSetYaml, gitopsFlow, kube, liveImages, statefulSetYaml, until, withExtra } from './helpers.js';

const deployment = (name: string, image: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:${extra}
      containers: [{ name: main, image: "${image}" }]
`;

describe('verify: every kind of the render', () => {
  it('Deployment, StatefulSet, DaemonSet, Job, CronJob, bound PVC, Pod, LoadBalancer Service, Ingress and a custom resource all become ready; the deploy waits for each', async () => {
    const pv = `pv-${randomBytes(3).toString('hex')}`;
    const { files, ns } = withExtra(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.e2e.example.com }
spec:
  group: e2e.example.com
  names: { kind: Widget, plural: widgets, singular: widget }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
---
# No status subresource: the manifest says Ready=False, as a controller would at first.
apiVersion: e2e.example.com/v1
kind: Widget
metadata: { name: w }
spec: { size: 1 }
status: { conditions: [{ type: Ready, status: "False", reason: Provisioning }] }
---
${statefulSetYaml('db', 'postgres:16')}---
${daemonSetYaml('agent', 'fluent-bit:3')}---
apiVersion: batch/v1
kind: Job
metadata: { name: migrate }
spec:
  template:
    spec: { restartPolicy: Never, containers: [{ name: migrate, image: "migrate:1" }] }
---
apiVersion: batch/v1
kind: CronJob
metadata: { name: nightly }
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec: { restartPolicy: Never, containers: [{ name: nightly, image: "nightly:1" }] }
---
apiVersion: v1
kind: PersistentVolume
metadata: { name: ${pv} }
spec:
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteOnce]
  storageClassName: ${pv}
  hostPath: { path: /tmp/${pv} }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data }
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ${pv}
  resources: { requests: { storage: 1Gi } }
---
apiVersion: v1
kind: Pod
metadata: { name: solo }
spec: { containers: [{ name: solo, image: "busybox:1" }] }
---
apiVersion: v1
kind: Service
metadata: { name: public }
spec:
  type: LoadBalancer
  selector: { app: pick-manager }
  ports: [{ port: 80 }]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: web }
spec:
  defaultBackend: { service: { name: public, port: { number: 80 } } }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings }
data: { a: "1" }
`);
    const dir = makeRepo(files);
    const run = gitopsFlow(['--verbose', 'deploy', '--env', 'dev', '--timeout', '120s', '--json-events'], dir);
    // What no controller does here, the test does: an address for the Service and the Ingress, Ready on the Widget.
    const status = (ref: string, patch: string) =>
      kube('dev', ['-n', ns('dev'), 'patch', ref, '--subresource=status', '--type=merge', '-p', patch]);
    await until(() => kube('dev', ['-n', ns('dev'), 'get', 'widget', 'w', '-o', 'name']) !== '', 'the Widget');
    await new Promise((r) => setTimeout(r, 1500)); // the deploy is waiting on them now
    status('service/public', '{"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.7"}]}}}');
    status('ingress/web', '{"status":{"loadBalancer":{"ingress":[{"hostname":"web.example.com"}]}}}');
    kube('dev', [
      '-n',
      ns('dev'),
      'patch',
      'widget/w',
      '--type=merge',
      '-p',
      '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Provisioned"}]}}',
    ]);
    const r = await run;
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Applying the 1 CustomResourceDefinition(s) of the render first');
    const events = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{"event"'))
      .map((l) => JSON.parse(l) as { event: string; object?: string; status?: string; message?: string });
    const at = (ref: string) => `${ref} (namespace ${ns('dev')})`;
    for (const [ref, msg] of [
      ['Deployment/pick-manager', '2/2 ready'],
      ['StatefulSet/db', '2/2 ready'],
      ['DaemonSet/agent', '1/1 ready'],
      ['Job/migrate', 'complete (1 succeeded)'],
      ['CronJob/nightly', 'scheduled (0 3 * * *)'],
      ['PersistentVolumeClaim/data', 'bound'],
      ['Pod/solo', 'ready'],
      ['Service/public', 'address 203.0.113.7'],
      ['Ingress/web', 'address web.example.com'],
      ['Widget/w', 'Ready'],
    ] as const)
      expect(events).toContainEqual({ event: 'ready', object: at(ref), message: msg, elapsedMs: expect.any(Number) });
    // The Service, the Ingress and the Widget were awaited: in progress until the test made them ready.
    for (const [ref, msg] of [
      ['Service/public', 'waiting for a load balancer address'],
      ['Ingress/web', 'waiting for an address'],
      ['Widget/w', 'Ready=False: Provisioning'],
    ] as const) {
      const waiting = events.findIndex((e) => e.object === at(ref) && e.status === 'InProgress' && e.message === msg);
      expect(waiting, `${ref} was awaited`).toBeGreaterThanOrEqual(0);
      expect(events.findIndex((e) => e.object === at(ref) && e.event === 'ready')).toBeGreaterThan(waiting);
    }
    expect(events.at(-1)).toMatchObject({ event: 'summary', ready: 12, total: 12 });
    // One watch connection per kind and namespace, not per object; the ConfigMap is not watched.
    expect(r.stderr).toMatch(/verified 12 object\(s\) over 14 watch connection\(s\)/);
  });

  it('a failing Job fails the deploy with its reason, and the cluster is back at the last good render', async () => {
    const { files, ns } = withExtra(`apiVersion: batch/v1
kind: Job
metadata: { name: migrate }
spec:
  template:
    spec: { restartPolicy: Never, containers: [{ name: migrate, image: "migrate:1" }] }
`);
    const dir = makeRepo(files);
    expect((await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir)).code).toBe(0);
    commitFiles(
      dir,
      {
        'kustomizations/overlays/dev/extra.yaml': `apiVersion: batch/v1
kind: Job
metadata: { name: migrate-2 }
spec:
  backoffLimit: 0
  template:
    spec: { restartPolicy: Never, containers: [{ name: migrate, image: "migrate:2-exit-1" }] }
`,
      },
      'a migration that fails',
    );
    const r = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '120s'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[ROLLOUT_FAILED]');
    expect(r.stderr).toContain(`Job/migrate-2 (namespace ${ns('dev')}): BackoffLimitExceeded`);
    expect(r.stderr).toContain('The cluster is back at');
    // The restore pruned the failed Job the deploy had added.
    await until(
      () => !kube('dev', ['-n', ns('dev'), 'get', 'jobs', '-o', 'name']).includes('migrate-2'),
      'the failed Job to be pruned',
    );
    expect(kube('dev', ['-n', ns('dev'), 'get', 'jobs', '-o', 'name'])).toBe('job.batch/migrate');
  });

  it('a custom resource under a rule from config: its failed condition fails the deploy, its ready condition passes it', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: gadgets.e2e.example.com }
spec:
  group: e2e.example.com
  names: { kind: Gadget, plural: gadgets, singular: gadget }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      subresources: { status: {} }
      schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
---
apiVersion: e2e.example.com/v1
kind: Gadget
metadata: { name: g }
spec: { size: 1 }
`;
    const rules =
      '{ cluster: { context: dev }, verify: { rules: [{ kind: e2e.example.com/Gadget, ready: [Synced], failed: [Degraded] }] } }';
    const { files, ns } = withExtra(crd, rules);
    const dir = makeRepo(files);
    const gadget = (patch: string) =>
      kube('dev', ['-n', ns('dev'), 'patch', 'gadget', 'g', '--subresource=status', '--type=merge', '-p', patch]);
    const waitGadget = () =>
      until(() => kube('dev', ['-n', ns('dev'), 'get', 'gadget', 'g', '-o', 'name']) !== '', 'the Gadget');

    // Ready=True alone does not satisfy the rule; Degraded=True fails it.
    const failing = gitopsFlow(['deploy', '--env', 'dev', '--timeout', '120s'], dir);
    await waitGadget();
    gadget(
      '{"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"Degraded","status":"True","reason":"NoCapacity","message":"no room"}]}}',
    );
    const bad = await failing;
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`Gadget/g (namespace ${ns('dev')}): Degraded=True: NoCapacity: no room`);

    gadget('{"status":{"conditions":[{"type":"Degraded","status":"False"},{"type":"Synced","status":"True"}]}}');
    const good = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir);
    expect(good.stderr).not.toContain('error[');
    expect(good.code).toBe(0);
    expect(good.stderr).toContain(`✓ Gadget/g (namespace ${ns('dev')}) ready: Synced=True`);
  });
});

describe('fail fast', () => {
  const failing: [string, string, string, RegExp, string][] = [
    [
      'a crash-looping container',
      'app:2-crash-loop',
      '',
      /CrashLoopBackOff \(restarted 2 times, exit code 1 \(Error\)\)/,
      'CrashLoopBackOff',
    ],
    [
      'an image that cannot be pulled',
      'app:2-pull-fails',
      '',
      /ErrImagePull \(2 failed pulls: failed to pull/,
      'ErrImagePull',
    ],
    [
      'a missing ConfigMap',
      'app:2-config-error',
      '',
      /CreateContainerConfigError \(configmap "app-settings" not found\)/,
      'CreateContainerConfigError',
    ],
    ['an invalid image name', 'app:2-invalid-image', '', /InvalidImageName/, 'InvalidImageName'],
    [
      'a pod no node can take',
      'app:2',
      '\n      nodeSelector: { pool: none }',
      /Unschedulable \(unschedulable for \d+ s: 0\/1 nodes are available/,
      'Unschedulable',
    ],
  ];
  it.each(failing)(
    '%s fails the deploy long before its timeout, naming pod, container and reason; the last good render is back',
    async (_what, image, spec, detail, reason) => {
      const { files, ns } = withExtra(
        deployment('api', 'registry.example.com/team/app:1'),
        '{ cluster: { context: dev }, verify: { failFast: { unschedulable: 3s } } }',
      );
      const dir = makeRepo(files);
      expect((await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '60s'], dir)).code).toBe(0);
      commitFiles(
        dir,
        { 'kustomizations/overlays/dev/extra.yaml': deployment('api', `registry.example.com/team/${image}`, spec) },
        'a broken release',
      );
      // A timeout no test waits for: only failing fast ends this deploy within the test's own time limit.
      const r = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '10m'], dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('error[ROLLOUT_FAILED]');
      expect(r.stderr).toMatch(
        new RegExp(`Deployment/api \\(namespace ${ns('dev')}\\): pod api-[a-z0-9]+-[a-z0-9]+: ${reason}`),
      );
      expect(r.stderr).toMatch(detail);
      if (reason !== 'Unschedulable') expect(r.stderr).toMatch(/pod api-[a-z0-9]+-[a-z0-9]+ container main/);
      // The crashed container's last log lines (kwok serves them through its ClusterLogs).
      if (reason === 'CrashLoopBackOff') {
        expect(r.stderr).toContain('last log lines of main:');
        expect(r.stderr).toContain('error: config key "database.url" is missing');
      }
      expect(r.stderr).toMatch(/event (Normal|Warning) \w+:/);
      expect(r.stderr).toContain('The cluster is back at');
      expect(liveImages('dev', ns('dev'), 'api').main).toBe('registry.example.com/team/app:1');
    },
  );

  it('--no-fail-fast waits to the deadline', async () => {
    const { files, ns } = withExtra(deployment('api', 'registry.example.com/team/app:1-crash-loop'));
    const dir = makeRepo(files);
    const r = await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '6s', '--no-fail-fast'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Deployment/api (namespace ${ns('dev')}): 0/1 ready`);
    expect(r.stderr).toContain('(not ready before the timeout)');
    expect(r.stderr).toMatch(/pod api-[a-z0-9]+-[a-z0-9]+: Ready=False.*CrashLoopBackOff/);
  });
});
