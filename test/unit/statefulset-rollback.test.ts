/** Which pods the restore deletes so a StatefulSet rolls back (pure part of statefulset-rollback.ts). */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/status/types.js';
import { stuckPods } from '../../src/steps/deploy/statefulset-rollback.js';

const sts = (updateStrategy: Record<string, unknown> = {}): KubeObject => ({
  kind: 'StatefulSet',
  metadata: { name: 'db', uid: 'sts-uid', generation: 3 },
  spec: { replicas: 3, updateStrategy },
  status: { observedGeneration: 3, updateRevision: 'db-good', currentRevision: 'db-good' },
});

const pod = (
  name: string,
  revision: string,
  ready: boolean,
  more: { owner?: string; deleting?: boolean } = {},
): KubeObject => ({
  kind: 'Pod',
  metadata: {
    name,
    uid: `${name}-uid`,
    labels: { 'controller-revision-hash': revision },
    ownerReferences: [{ kind: 'StatefulSet', name: 'db', uid: more.owner ?? 'sts-uid', controller: true }],
    ...(more.deleting && { deletionTimestamp: '2026-12-03T17:00:00Z' }),
  },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

const names = (pods: KubeObject[]) => pods.map((p) => p.metadata?.name);

describe('stuckPods', () => {
  const cases: [string, KubeObject, KubeObject[], string[]][] = [
    [
      'a broken pod of the failed release is deleted; pods of the restored revision stay, ready or not',
      sts(),
      [pod('db-0', 'db-good', true), pod('db-1', 'db-good', false), pod('db-2', 'db-bad', false)],
      ['db-2'],
    ],
    [
      'a Ready pod of another revision is left to the controller, which replaces it in order',
      sts(),
      [pod('db-0', 'db-good', true), pod('db-1', 'db-bad', true), pod('db-2', 'db-bad', false)],
      ['db-2'],
    ],
    [
      'a pod already terminating, or owned by another StatefulSet, is not touched',
      sts(),
      [pod('db-1', 'db-bad', false, { deleting: true }), pod('db-2', 'db-bad', false, { owner: 'other' })],
      [],
    ],
    [
      'below the partition pods stay at their revision on purpose',
      sts({ type: 'RollingUpdate', rollingUpdate: { partition: 2 } }),
      [pod('db-0', 'db-bad', false), pod('db-1', 'db-bad', false), pod('db-2', 'db-bad', false)],
      ['db-2'],
    ],
    [
      'OnDelete: pods change only when someone deletes them, so nothing is',
      sts({ type: 'OnDelete' }),
      [pod('db-2', 'db-bad', false)],
      [],
    ],
  ];
  it.each(cases)('%s', (_what, set, pods, expected) => {
    expect(names(stuckPods(set, pods))).toEqual(expected);
  });

  it('nothing is deleted before the controller has named the restored revision', () => {
    const set = sts();
    delete set.status?.updateRevision;
    expect(stuckPods(set, [pod('db-2', 'db-bad', false)])).toEqual([]);
  });
});
