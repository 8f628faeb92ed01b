/**
 * The working-copy lock, with real processes (the built binary): two promotes started at once on one
 * clone serialize, a run that finds a live lock waits and then exits 1 naming the holder, and a lock
 * left by a process killed with SIGKILL (or one killed before it wrote its pid) is taken over.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runBinary } from '../helpers/cli.js';
import { cloneRemote, exampleFiles, gitSync, makeRemote, REPO_ROOT, tempDir } from '../helpers/git-fixtures.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const withTag = (file: string, tag: string) =>
  (exampleFiles()[file] as string).replace('newTag: "1.0.0"', `newTag: "${tag}"`);
const REAL_GIT = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

/** A clone of a remote without gitops-flow.yaml (any env may be promoted from any other); dev at 1.4.2. */
function clone(): { dir: string; remote: ReturnType<typeof makeRemote> } {
  const remote = makeRemote(exampleFiles({ 'gitops-flow.yaml': null, [DEV]: withTag(DEV, '1.4.2') }));
  return { dir: cloneRemote(remote), remote };
}

/**
 * A PATH whose `git` is a stub that holds each push until `gate` exists (at most 60 s), so a run that
 * holds the lock is still pushing when the other run reaches the lock: they overlap however loaded the
 * machine is (a fixed sleep did not, under a full test run).
 */
function gatedPushEnv(gate: string): NodeJS.ProcessEnv {
  const dir = tempDir('gitops-flow-stubs-');
  writeFileSync(
    join(dir, 'git'),
    `#!/bin/sh\n# STUB git: holds a push until the test opens the gate, then runs the real git\n` +
      `if [ "$1" = push ]; then i=0; while [ ! -e '${gate}' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; fi\n` +
      `exec ${REAL_GIT} "$@"\n`,
  );
  chmodSync(join(dir, 'git'), 0o755);
  const env = cleanEnv();
  return { ...env, PATH: `${dir}:${env.PATH}` };
}

const lockFile = (dir: string) => join(dir, '.git', 'gitops-flow.lock');

describe('working-copy lock', () => {
  it('serializes two promotes started at once on one clone: both land, no push raced', async () => {
    const { dir, remote } = clone();
    const gate = join(tempDir('gitops-flow-gate-'), 'open');
    const env = gatedPushEnv(gate);
    // The holder's push waits until the other run says it is waiting for the lock (or 60 s: then the
    // assertions below fail, as they should when runs do not serialize).
    const onStderr = (text: string) => /Waiting for pid \d+ on /.test(text) && writeFileSync(gate, '');
    const [a, b] = await Promise.all([
      runBinary(['-C', dir, '--json', 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'], {
        cwd: dir,
        env,
        onStderr,
      }),
      runBinary(['-C', dir, '--json', 'promote', '--from', 'dev', '--to', 'prod', '--no-deploy'], {
        cwd: dir,
        env,
        onStderr,
      }),
    ]);
    expect([a.code, b.code], `${a.stderr}\n${b.stderr}`).toEqual([0, 0]);
    // Exactly one waited for the other, and neither had to replay: they never interleaved.
    expect([a.stderr, b.stderr].filter((e) => /Waiting for pid \d+ on /.test(e))).toHaveLength(1);
    expect(JSON.parse(a.stdout).pushAttempts).toBe(1);
    expect(JSON.parse(b.stdout).pushAttempts).toBe(1);
    expect(remote.rejections()).toBe(0);
    const subjects = gitSync(remote.dir, ['log', '--format=%s', 'main']).split('\n');
    expect(subjects.filter((s) => s.includes('promote dev → uat'))).toHaveLength(1);
    expect(subjects.filter((s) => s.includes('promote dev → prod'))).toHaveLength(1);
    expect(existsSync(lockFile(dir))).toBe(false);
  });

  it('waits for a live holder, then exits 1 naming it; a lock from another host is never taken', async () => {
    for (const holder of [
      { pid: process.pid, hostname: hostname() },
      { pid: 1, hostname: 'another-runner' },
    ]) {
      const { dir } = clone();
      const text = `${JSON.stringify({ ...holder, started: new Date().toISOString() })}\n`;
      writeFileSync(lockFile(dir), text);
      const t0 = Date.now();
      const r = await runBinary(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'], {
        cwd: dir,
        env: cleanEnv({ GITOPS_FLOW_LOCK_WAIT: '1s' }),
      });
      expect(r.code).toBe(1);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
      expect(r.stderr).toContain(`Waiting for pid ${holder.pid} on ${holder.hostname}`);
      expect(r.stderr).toContain('error[REPO_LOCKED]');
      expect(r.stderr).toContain('GITOPS_FLOW_LOCK_WAIT');
      expect(readFileSync(lockFile(dir), 'utf8')).toBe(text); // the holder's lock is left alone
      expect(gitSync(dir, ['log', '-1', '--format=%s'])).toBe('initial');
    }
  });

  it('takes over an empty lock older than 5 s (a run killed between creating and writing it), not a fresh one', async () => {
    const { dir } = clone();
    writeFileSync(lockFile(dir), '');
    const fresh = await runBinary(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'], {
      cwd: dir,
      env: cleanEnv({ GITOPS_FLOW_LOCK_WAIT: '0s' }),
    });
    expect(fresh.stderr).toContain('error[REPO_LOCKED]');
    const old = new Date(Date.now() - 10_000);
    utimesSync(lockFile(dir), old, old);
    const r = await runBinary(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'], {
      cwd: dir,
      env: cleanEnv({ GITOPS_FLOW_LOCK_WAIT: '0s' }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Took over a stale lock');
    expect(existsSync(lockFile(dir))).toBe(false);
  });

  it('takes over a lock whose pid now belongs to a process that started after the lock (pid reuse)', async () => {
    const { dir } = clone();
    // This test process is alive, but it started long after 2020: it cannot be that lock's holder.
    writeFileSync(
      lockFile(dir),
      JSON.stringify({ pid: process.pid, hostname: hostname(), started: '2020-01-01T00:00:00.000Z' }),
    );
    const r = await runBinary(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'], {
      cwd: dir,
      env: cleanEnv({ GITOPS_FLOW_LOCK_WAIT: '0s' }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Took over a stale lock ${lockFile(dir)} left by pid ${process.pid}`);
  });

  it('takes over the lock of a promote killed with SIGKILL mid-push; the rerun lands its change once', async () => {
    const { dir, remote } = clone();
    // A stub git that, at the push, says so and hangs: the promote holds the lock and has committed.
    const stubs = tempDir('gitops-flow-stubs-');
    const marker = join(stubs, 'pushing');
    writeFileSync(
      join(stubs, 'git'),
      `#!/bin/sh\n# STUB git: hangs at push (after touching a marker), else runs the real git\nif [ "$1" = push ]; then touch "${marker}"; sleep 60; fi\nexec ${REAL_GIT} "$@"\n`,
    );
    chmodSync(join(stubs, 'git'), 0o755);
    const env = cleanEnv();
    const holder = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'gitops-flow.js'), '-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'],
      { cwd: dir, env: { ...env, PATH: `${stubs}:${env.PATH}` }, detached: true, stdio: 'ignore' },
    );
    const exited = new Promise((r) => holder.once('exit', r));
    for (let waited = 0; !existsSync(marker); waited += 50) {
      if (waited > 30_000) throw new Error('the promote never reached its push');
      await new Promise((r) => setTimeout(r, 50));
    }
    const pid = holder.pid as number;
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid).toBe(pid);
    process.kill(-pid, 'SIGKILL'); // the whole process group: node, the stub and its sleep
    await exited;
    const r = await runBinary(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'], {
      cwd: dir,
      env: cleanEnv({ GITOPS_FLOW_LOCK_WAIT: '5s' }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Took over a stale lock');
    expect(r.stderr).toContain(`pid ${pid} on ${hostname()}`);
    const subjects = gitSync(remote.dir, ['log', '--format=%s', 'main']).split('\n');
    expect(subjects.filter((s) => s.includes('promote dev → uat'))).toHaveLength(1);
    expect(gitSync(dir, ['status', '--porcelain'])).toBe('');
    expect(gitSync(dir, ['fsck', '--no-progress'])).toBe('');
    expect(existsSync(lockFile(dir))).toBe(false);
  });
});
