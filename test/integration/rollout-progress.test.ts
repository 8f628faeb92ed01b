/**
 * Progress while verify() waits for rollouts, against a stub kubectl (a shell script named STUB) that
 * answers `get --watch` with recorded watch events and `rollout status` after a short wait: timestamped
 * lines only on change in a log, a live view on a terminal, and no kubectl left running afterwards.
 * The same code against a real cluster runs in test/e2e/deploy.e2e.test.ts.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/core/io.js';
import { createLogger, type Io } from '../../src/core/io.js';
import type { Workload } from '../../src/core/workloads.js';
import { replicasOf } from '../../src/steps/deploy/progress.js';
import { verify } from '../../src/steps/deploy/release.js';
import { tempDir } from '../helpers/git-fixtures.js';

const web: Workload = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  name: 'web',
  namespace: 'shop',
  selector: { app: 'web' },
  images: { web: 'web:2' },
};
const cache: Workload = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  name: 'cache',
  namespace: 'shop',
  selector: { app: 'cache' },
  images: { cache: 'redis:7' },
};

const event = (type: string, kind: string, replicas: number, s: Record<string, number>) =>
  JSON.stringify({ type, object: { kind, metadata: { name: 'x' }, spec: { replicas }, status: s } });

/** A bin folder with the stub kubectl; every call appends its PID to `pids`. */
function stubKubectl(): { path: string; pids: () => number[] } {
  const dir = tempDir('gitops-flow-stub-kubectl-');
  const events = {
    web: [
      event('ADDED', 'Deployment', 2, { updatedReplicas: 2 }),
      event('MODIFIED', 'Deployment', 2, { updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1 }),
      // The same counts again (another field changed): no new line.
      event('MODIFIED', 'Deployment', 2, {
        updatedReplicas: 2,
        readyReplicas: 1,
        availableReplicas: 1,
        observedGeneration: 2,
      }),
      event('MODIFIED', 'Deployment', 2, { updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }),
    ],
    cache: [event('ADDED', 'StatefulSet', 3, { updatedReplicas: 1, readyReplicas: 0 })],
  };
  writeFileSync(join(dir, 'web.events'), `${events.web.join('\n')}\n`);
  writeFileSync(join(dir, 'cache.events'), `${events.cache.join('\n')}\n`);
  writeFileSync(
    join(dir, 'kubectl'),
    `#!/bin/sh
# STUB kubectl for the rollout progress tests: recorded watch events, canned rollout results.
echo $$ >> "${dir}/pids"
# Events arrive 150 ms apart, as a real watch spaces them (a live view draws what it sees).
replay() { while IFS= read -r line; do printf '%s\\n' "$line"; sleep 0.15; done < "$1"; }
case "$*" in
  *"get deployment.apps/web --watch"*) replay "${dir}/web.events"; exec sleep 60 ;;
  *"get statefulset.apps/cache --watch"*) replay "${dir}/cache.events"; exec sleep 60 ;;
  *"rollout status deployment/web"*) sleep 1; echo 'deployment "web" successfully rolled out' ;;
  *"rollout status statefulset/cache"*) sleep 1; echo 'error: timed out waiting for the condition' >&2; exit 1 ;;
  *"get pods"*) echo '{"items":[]}' ;;
  *) echo "stub kubectl: unexpected $*" >&2; exit 2 ;;
esac
`,
  );
  chmodSync(join(dir, 'kubectl'), 0o755);
  return {
    path: dir,
    pids: () =>
      existsSync(join(dir, 'pids'))
        ? readFileSync(join(dir, 'pids'), 'utf8').split('\n').filter(Boolean).map(Number)
        : [],
  };
}

function context(path: string, tty: boolean, env: NodeJS.ProcessEnv = {}): { ctx: CommandContext; err: () => string } {
  const stderr = new PassThrough();
  if (tty) Object.assign(stderr, { isTTY: true, columns: 120, rows: 40 });
  const chunks: Buffer[] = [];
  stderr.on('data', (b: Buffer) => chunks.push(b));
  const io: Io = { cwd: path, env: { PATH: `${path}:/usr/bin:/bin`, ...env }, stdout: new PassThrough(), stderr };
  return {
    ctx: { io, log: createLogger(io, { verbose: false }), opts: { dryRun: false, verbose: false, json: false } },
    err: () => Buffer.concat(chunks).toString(),
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

describe('rollout progress', () => {
  it('in a log: a timestamped line per change of counts, ✓/✗ per workload, the problems returned, no kubectl left', async () => {
    const k = stubKubectl();
    const { ctx, err } = context(k.path, false);
    const problems = await verify([web, cache], 30_000, { context: 'dev' }, ctx, k.path);
    expect(problems[0]).toBe('StatefulSet/cache (namespace shop): error: timed out waiting for the condition');
    const lines = err().split('\n').filter(Boolean);
    const webLines = lines.filter((l) => l.includes('Deployment/web') && l.startsWith('['));
    expect(webLines.map((l) => l.replace(/^\[\d{2}:\d{2}:\d{2}\] /, ''))).toEqual([
      'Deployment/web (namespace shop) 0/2 ready, 2/2 updated, 0/2 available',
      'Deployment/web (namespace shop) 1/2 ready, 2/2 updated, 1/2 available',
      'Deployment/web (namespace shop) 2/2 ready, 2/2 updated, 2/2 available',
    ]);
    expect(
      lines.filter((l) =>
        /^\[\d{2}:\d{2}:\d{2}\] StatefulSet\/cache \(namespace shop\) 0\/3 ready, 1\/3 updated, 0\/3 available$/.test(
          l,
        ),
      ),
    ).toHaveLength(1);
    expect(lines.some((l) => /^ {2}✓ Deployment\/web \(namespace shop\) ready \(2\/2, \d+s\)$/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {2}✗ StatefulSet\/cache \(namespace shop\) not ready/.test(l))).toBe(true);
    expect(err()).not.toContain('\x1b');
    // Two watches and two rollout waits (and one pod listing) ran; none is still running.
    expect(k.pids().length).toBeGreaterThanOrEqual(4);
    expect(k.pids().filter(alive)).toEqual([]);
  });

  it('on a terminal: a live view redrawn in place, then the ✓/✗ lines; NO_COLOR keeps it colourless', async () => {
    const k = stubKubectl();
    const { ctx, err } = context(k.path, true);
    await verify([web, cache], 30_000, {}, ctx, k.path);
    const out = err();
    expect(out).toMatch(/\x1b\[\d*A/); // cursor up: redrawn in place
    expect(plain(out)).toMatch(
      /Deployment\/web \(namespace shop\) +updated 2\/2 {2}ready 1\/2 {2}available 1\/2 {2}\ds/,
    );
    expect(plain(out)).toMatch(/StatefulSet\/cache \(namespace shop\) +updated 1\/3 {2}ready 0\/3 {2}available 0\/3/);
    expect(plain(out)).not.toMatch(/^\[\d{2}:\d{2}:\d{2}\]/m);
    expect(plain(out)).toContain('✓ Deployment/web (namespace shop) ready (2/2, ');
    expect(out).toContain('\x1b[32m✓\x1b[39m');
    expect(k.pids().filter(alive)).toEqual([]);

    const noColor = context(k.path, true, { NO_COLOR: '1' });
    await verify([web], 30_000, {}, noColor.ctx, k.path);
    expect(noColor.err()).not.toMatch(/\x1b\[\d+m/);
    expect(noColor.err()).toMatch(/\x1b\[\d*A/);
  });

  it('in CI a terminal still gets plain lines', async () => {
    const k = stubKubectl();
    const { ctx, err } = context(k.path, true, { CI: 'true' });
    await verify([web], 30_000, {}, ctx, k.path);
    expect(plain(err())).toMatch(/^\[\d{2}:\d{2}:\d{2}\] Deployment\/web \(namespace shop\) 2\/2 ready/m);
    expect(err()).not.toMatch(/\x1b\[\d*A/);
  });

  it.each([
    [
      'Deployment',
      { spec: { replicas: 3 }, status: { updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1 } },
      { desired: 3, updated: 2, ready: 1, available: 1 },
    ],
    ['Deployment', { spec: {}, status: {} }, { desired: 1, updated: 0, ready: 0, available: 0 }],
    [
      'StatefulSet',
      { spec: { replicas: 2 }, status: { updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 } },
      { desired: 2, updated: 2, ready: 2, available: 2 },
    ],
    [
      'DaemonSet',
      { status: { desiredNumberScheduled: 4, updatedNumberScheduled: 3, numberReady: 2, numberAvailable: 1 } },
      { desired: 4, updated: 3, ready: 2, available: 1 },
    ],
  ] as const)('replica counts of a %s', (kind, object, want) => {
    expect(replicasOf(kind, object as Record<string, unknown>)).toEqual(want);
  });
});
