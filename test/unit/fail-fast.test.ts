/** Fail fast on recorded pods (test/fixtures/status): which pods end the wait, when, and what is said. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FailFast } from '../../src/core/status/fail-fast.js';
import { renderOwnerOf } from '../../src/core/status/pods.js';
import type { KubeObject } from '../../src/core/status/status.js';
import { doneLine, waitingLine } from '../../src/core/status/summary.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'status');
const recorded = (name: string): KubeObject =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as KubeObject;

/** The pod with its first container's status replaced. */
function withContainer(name: string, c: Record<string, unknown>): KubeObject {
  const pod = recorded(name);
  const statuses = (pod.status?.containerStatuses ?? []) as Record<string, unknown>[];
  return { ...pod, status: { ...pod.status, containerStatuses: [{ ...statuses[0], ...c }] } };
}

describe('FailFast', () => {
  it('a crash loop fails once the container restarted N times, naming container, reason and exit code', () => {
    const ff = new FailFast({ restarts: 2 });
    expect(ff.observe(withContainer('pod-crash', { restartCount: 1 }))).toBeUndefined();
    const f = ff.observe(withContainer('pod-crash', { restartCount: 2 }));
    expect(f).toMatchObject({ container: 'app', reason: 'CrashLoopBackOff', crashed: true });
    expect(f?.pod).toMatch(/^crash-/);
    expect(f?.message).toBe('restarted 2 times, exit code 1 (Error)');
    expect(new FailFast({ restarts: 20 }).observe(recorded('pod-crash'))).toBeUndefined();
  });

  it('an image pull fails on the second failed pull, not the first', () => {
    const ff = new FailFast();
    const err = recorded('pod-pull-err');
    const backoff = recorded('pod-pull');
    expect(err.status?.containerStatuses).toBeDefined();
    expect(ff.observe(err)).toBeUndefined();
    expect(
      ff.observe(withContainer('pod-pull-err', { state: { waiting: { reason: 'ImagePullBackOff' } } })),
    ).toBeUndefined();
    const f = ff.observe(err);
    expect(f).toMatchObject({ container: 'app', reason: 'ErrImagePull', crashed: false });
    expect(f?.message).toMatch(/^2 failed pulls: failed to pull and unpack image "reg\/app:pull-fails"/);
    // A pod first seen backing off has failed once already.
    const late = new FailFast();
    expect(late.observe(backoff)).toBeUndefined();
    expect(late.observe(withContainer('pod-pull', { state: { waiting: { reason: 'ErrImagePull' } } }))).toBeDefined();
  });

  it.each([
    ['pod-badname', 'InvalidImageName', /couldn't parse image name/],
    ['pod-cfg', 'CreateContainerConfigError', /configmap "app-settings" not found/],
  ])('%s fails at once: %s', (name, reason, message) => {
    const f = new FailFast().observe(recorded(name));
    expect(f).toMatchObject({ container: 'app', reason });
    expect(f?.message).toMatch(message);
  });

  it('an unschedulable pod fails after the grace period, not before', () => {
    let now = 1_000_000;
    const ff = new FailFast({ unschedulableMs: 30_000 }, () => now);
    const pod = recorded('pod-nowhere');
    expect(ff.observe(pod)).toBeUndefined();
    now += 29_000;
    expect(ff.observe(pod)).toBeUndefined();
    now += 1_000;
    const f = ff.observe(pod);
    expect(f).toMatchObject({ reason: 'Unschedulable' });
    expect(f?.message).toMatch(/unschedulable for 30 s: .*node\(s\) didn't match Pod's node affinity\/selector/);
  });

  it('a ready pod, or one being deleted, never fails', () => {
    const ff = new FailFast({ restarts: 1 });
    expect(ff.observe(recorded('pod-ready'))).toBeUndefined();
    const crash = recorded('pod-crash');
    expect(
      ff.observe({ ...crash, metadata: { ...crash.metadata, deletionTimestamp: '2026-12-03T12:00:00Z' } }),
    ).toBeUndefined();
  });
});

describe('renderOwnerOf', () => {
  const deployment = recorded('deployment-ready');
  const rs = recorded('replicaset-ready');
  const pod = recorded('pod-ready');
  const render = new Map([[deployment.metadata?.uid as string, deployment]]);
  const sets = new Map([[rs.metadata?.uid as string, rs]]);

  it("a pod of the Deployment's current ReplicaSet speaks for the Deployment", () => {
    expect(renderOwnerOf(pod, render, sets)).toBe(deployment);
  });
  it('a pod of an older ReplicaSet does not', () => {
    const old = { ...rs, metadata: { ...rs.metadata, annotations: { 'deployment.kubernetes.io/revision': '0' } } };
    expect(renderOwnerOf(pod, render, new Map([[rs.metadata?.uid as string, old]]))).toBeUndefined();
  });
  it('a pod of an object outside the render does not', () => {
    expect(renderOwnerOf(pod, new Map(), sets)).toBeUndefined();
  });
});

describe('the live report lines', () => {
  const all = [
    { ref: 'Deployment/web', status: 'InProgress' as const, message: '1/2 ready' },
    { ref: 'Job/migrate', status: 'InProgress' as const, message: 'running: 1 active, 0 succeeded' },
    { ref: 'Service/web', status: 'Current' as const, message: 'ClusterIP', doneAfterMs: 200 },
  ];
  it('names what is still awaited', () => {
    expect(waitingLine(all, 12_300)).toBe(
      'waiting on 2 of 3: Deployment/web 1/2 ready, Job/migrate running: 1 active, 0 succeeded (12 s)',
    );
    expect(waitingLine(all, 1000, 1)).toBe('waiting on 2 of 3: Deployment/web 1/2 ready, and 1 more (1 s)');
  });
  it('says when everything is ready, and how each object ended', () => {
    expect(waitingLine([all[2] as (typeof all)[2]], 2000)).toBe('all 1 ready (2 s)');
    expect(doneLine(all[2] as (typeof all)[2])).toBe('✓ Service/web ready: ClusterIP (0 s)');
    expect(doneLine({ ref: 'Job/m', status: 'Failed', message: 'BackoffLimitExceeded', doneAfterMs: 4000 })).toBe(
      '✗ Job/m failed: BackoffLimitExceeded (4 s)',
    );
  });
});
