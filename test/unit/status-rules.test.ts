/**
 * The status rules on objects recorded from the local control plane (test/fixtures/status/*.json, see
 * its README), plus hand-made variants for what that control plane cannot produce.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type KubeObject, RULES, type Status, statusOf } from '../../src/core/status/status.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'status');
const recorded = (name: string): KubeObject =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as KubeObject;

/** A recorded object with changes the local control plane cannot make (a deep merge of `patch`). */
function variant(name: string, patch: Record<string, unknown>): KubeObject {
  const merge = (a: unknown, b: unknown): unknown => {
    if (b === null) return undefined;
    if (typeof a !== 'object' || a === null || typeof b !== 'object' || Array.isArray(b)) return b;
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = merge(out[k], v);
    return out;
  };
  return merge(recorded(name), patch) as KubeObject;
}

const cases: [string, KubeObject, Status, RegExp][] = [
  ['Deployment ready', recorded('deployment-ready'), 'Current', /2\/2 ready/],
  ['Deployment mid-rollout', recorded('deployment-rolling'), 'InProgress', /2\/2 ready, 1\/2 updated/],
  [
    'Deployment past its progress deadline',
    recorded('deployment-deadline-exceeded'),
    'Failed',
    /ProgressDeadlineExceeded: ReplicaSet "web-[a-z0-9]+" has timed out/,
  ],
  ['Deployment whose pod cannot be scheduled', recorded('deployment-unschedulable'), 'InProgress', /0\/1 ready/],
  [
    'Deployment whose new spec is not yet observed',
    variant('deployment-ready', { metadata: { generation: 3 } }),
    'InProgress',
    /generation 3 not yet observed \(status is for 1\)/,
  ],
  ['Deployment paused', variant('deployment-rolling', { spec: { paused: true } }), 'Current', /paused/],
  [
    'Deployment being deleted',
    variant('deployment-ready', { metadata: { deletionTimestamp: '2026-12-03T12:00:00Z' } }),
    'Terminating',
    /being deleted/,
  ],
  ['StatefulSet ready', recorded('statefulset-ready'), 'Current', /2\/2 ready/],
  ['StatefulSet partitioned rollout done', recorded('statefulset-partitioned'), 'Current', /partitioned rollout: 1\/1/],
  [
    'StatefulSet partitioned rollout not done',
    variant('statefulset-partitioned', { status: { updatedReplicas: 0 } }),
    'InProgress',
    /partitioned rollout: 0\/1/,
  ],
  ['StatefulSet OnDelete', recorded('statefulset-ondelete'), 'Current', /OnDelete/],
  [
    'StatefulSet rolling, revision not yet current',
    variant('statefulset-partitioned', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } }),
    'InProgress',
    /1\/2 updated/,
  ],
  ['DaemonSet ready', recorded('daemonset-ready'), 'Current', /1\/1 ready/],
  ['DaemonSet rolling', recorded('daemonset-rolling'), 'InProgress', /updated/],
  ['ReplicaSet ready', recorded('replicaset-ready'), 'Current', /2\/2 ready/],
  [
    'ReplicaSet refused by quota',
    variant('replicaset-ready', {
      status: {
        readyReplicas: 0,
        conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'exceeded quota' }],
      },
    }),
    'Failed',
    /FailedCreate: exceeded quota/,
  ],
  ['Pod ready', recorded('pod-ready'), 'Current', /ready/],
  ['Pod crash-looping', recorded('pod-crash'), 'InProgress', /app CrashLoopBackOff/],
  ['Pod pulling in vain', recorded('pod-pull'), 'InProgress', /app (ImagePullBackOff|ErrImagePull)/],
  ['Pod unschedulable', recorded('pod-nowhere'), 'InProgress', /not scheduled: Unschedulable/],
  ['Pod of a Job done', variant('pod-ready', { status: { phase: 'Succeeded' } }), 'Current', /completed/],
  ['Pod failed', variant('pod-ready', { status: { phase: 'Failed', reason: 'Evicted' } }), 'Failed', /Evicted/],
  ['Job complete', recorded('job-complete'), 'Current', /complete \(1 succeeded\)/],
  ['Job past its backoffLimit', recorded('job-failed'), 'Failed', /BackoffLimitExceeded/],
  [
    'Job running',
    variant('job-failed', { status: { conditions: null, active: 1, failed: 1 } }),
    'InProgress',
    /1 active, 0 succeeded, 1 failed of backoffLimit 1/,
  ],
  ['CronJob', recorded('cronjob'), 'Current', /scheduled \(0 3 \* \* \*\)/],
  ['PVC bound', recorded('pvc-bound'), 'Current', /bound/],
  ['PVC pending', recorded('pvc-pending'), 'InProgress', /Pending: not bound/],
  ['PVC lost', variant('pvc-bound', { status: { phase: 'Lost' } }), 'Failed', /lost/],
  ['Service ClusterIP', recorded('service-clusterip'), 'Current', /ClusterIP/],
  ['Service LoadBalancer without address', recorded('service-lb-pending'), 'InProgress', /load balancer address/],
  ['Service LoadBalancer with address', recorded('service-lb-ready'), 'Current', /203\.0\.113\.10/],
  ['Ingress without address', recorded('ingress-no-address'), 'InProgress', /waiting for an address/],
  ['Ingress with address', recorded('ingress-ready'), 'Current', /web\.example\.com/],
  ['CRD established', recorded('crd-established'), 'Current', /established/],
  [
    'CRD with conflicting names',
    variant('crd-established', {
      status: { conditions: [{ type: 'NamesAccepted', status: 'False', reason: 'KindConflict', message: 'taken' }] },
    }),
    'Failed',
    /KindConflict/,
  ],
  ['APIService unavailable', recorded('apiservice-unavailable'), 'InProgress', /ServiceNotFound/],
  [
    'APIService available',
    variant('apiservice-unavailable', { status: { conditions: [{ type: 'Available', status: 'True' }] } }),
    'Current',
    /available/,
  ],
  ['custom resource without status', recorded('widget-no-status'), 'Current', /exists/],
  ['custom resource Ready=False', recorded('widget-not-ready'), 'InProgress', /Ready=False: Provisioning/],
  ['custom resource Ready=True', recorded('widget-ready'), 'Current', /Ready/],
  ['custom resource with a stale status', recorded('widget-stale-generation'), 'InProgress', /generation 2/],
  ['custom resource Stalled', recorded('widget-stalled'), 'Failed', /Stalled: QuotaExceeded/],
  [
    'custom resource Reconciling',
    variant('widget-ready', {
      status: { conditions: [{ type: 'Reconciling', status: 'True', reason: 'Progressing', message: 'step 2 of 3' }] },
    }),
    'InProgress',
    /reconciling: Progressing: step 2 of 3/,
  ],
];

describe('statusOf, on recorded objects', () => {
  it.each(cases.map(([n, o, s, m]) => [n, s, o, m] as const))('%s → %s', (_name, status, object, message) => {
    const r = statusOf(object);
    expect(r.status).toBe(status);
    expect(r.message).toMatch(message);
  });

  it('an object that does not exist is NotFound', () => {
    expect(statusOf(undefined)).toEqual({ status: 'NotFound', message: 'not found' });
  });

  it('the table has a rule for every kind the issue names', () => {
    expect(Object.keys(RULES).sort()).toEqual(
      [
        'Pod',
        'PersistentVolumeClaim',
        'Service',
        'apiextensions.k8s.io/CustomResourceDefinition',
        'apiregistration.k8s.io/APIService',
        'apps/DaemonSet',
        'apps/Deployment',
        'apps/ReplicaSet',
        'apps/StatefulSet',
        'batch/CronJob',
        'batch/Job',
        'networking.k8s.io/Ingress',
      ].sort(),
    );
  });
});

describe('rules from config (verify.rules)', () => {
  const widget = (conditions: Record<string, string>[]) =>
    variant('widget-ready', { status: { observedGeneration: 1, conditions } });
  const rules = [{ kind: 'example.com/Widget', ready: ['Provisioned', 'Synced=True'], failed: ['Degraded'] }];

  const table: [string, Record<string, string>[], Status, RegExp][] = [
    [
      'all ready conditions',
      [
        { type: 'Provisioned', status: 'True' },
        { type: 'Synced', status: 'True' },
      ],
      'Current',
      /Provisioned=True, Synced=True/,
    ],
    ['one missing', [{ type: 'Provisioned', status: 'True' }], 'InProgress', /waiting for Synced=True/],
    [
      'a failed condition wins',
      [
        { type: 'Provisioned', status: 'True' },
        { type: 'Degraded', status: 'True', reason: 'NoCapacity' },
      ],
      'Failed',
      /Degraded=True: NoCapacity/,
    ],
    ['Ready alone is not enough under a rule', [{ type: 'Ready', status: 'True' }], 'InProgress', /Provisioned=True/],
  ];
  it.each(table)('%s', (_n, conditions, status, message) => {
    const r = statusOf(widget(conditions), { rules });
    expect(r.status).toBe(status);
    expect(r.message).toMatch(message);
  });

  it('a rule by bare Kind applies to any group; group/Kind wins over it', () => {
    const o = widget([{ type: 'Done', status: 'True' }]);
    expect(statusOf(o, { rules: [{ kind: 'Widget', ready: ['Done'] }] }).status).toBe('Current');
    expect(
      statusOf(o, {
        rules: [
          { kind: 'Widget', ready: ['Done'] },
          { kind: 'example.com/Widget', ready: ['Other'] },
        ],
      }).status,
    ).toBe('InProgress');
  });

  it('a rule can override a built-in kind (a Service whose address is not awaited is not the rule)', () => {
    const svc = recorded('service-lb-pending');
    expect(statusOf(svc).status).toBe('InProgress');
    expect(statusOf(svc, { rules: [{ kind: 'Service', ready: [] }] }).status).toBe('Current');
  });
});
