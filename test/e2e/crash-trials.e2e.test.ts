/**
 * Crashes: `promote --from dev --to uat` (the built binary, deploying to a real local control plane,
 * pushing over HTTP with a token) is killed with SIGKILL — its whole process group, as a cancelled CI
 * job is — after a seeded random delay. After each kill: `git fsck` passes on the clone and on the
 * remote; the same command run again exits 0 and the remote has exactly one commit for the change;
 * the clone is at the remote tip; the cluster equals the render of that tip (zero
 * `kubectl diff --server-side`). Trials run one after another on the same clone, so the stale locks
 * and half-done local state of each kill are what the next run meets.
 *
 * 20 trials in CI; GITOPS_FLOW_SOAK=1 (npm run test:soak) runs 100, GITOPS_FLOW_CRASH_TRIALS=<n>
 * any other count. GITOPS_FLOW_CRASH_SEED=<n> replays a run: the seed fixes where in the calibrated
 * window each trial is killed (GITOPS_FLOW_CRASH_MAX_DELAY_MS=<ms> fixes the window too).
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CliResult, cleanEnv, runBinary } from '../helpers/cli.js';
import { recordFigures } from '../helpers/figures.js';
import { commitFiles, gitSync, makeRemote, REPO_ROOT, type Remote, tempDir } from '../helpers/git-fixtures.js';
import { type GitHttpServer, serveGitHttp } from '../helpers/http-git.js';
import { seededRandom } from '../helpers/random.js';
import { type DedicatedCluster, startDedicatedCluster } from './dedicated-cluster.js';
import { uniqueExample } from './helpers.js';

const SOAK = process.env.GITOPS_FLOW_SOAK === '1';
const TRIALS = Number(process.env.GITOPS_FLOW_CRASH_TRIALS ?? (SOAK ? 100 : 20));
const SEED = Number(process.env.GITOPS_FLOW_CRASH_SEED ?? Date.now() % 1_000_000);
/**
 * Kill moments are uniform in [0, 1.1 × the duration of an uninterrupted promote) after spawn, measured
 * by a calibration run first (so the window fits the machine); GITOPS_FLOW_CRASH_MAX_DELAY_MS fixes it.
 */
const FIXED_MAX_DELAY_MS = process.env.GITOPS_FLOW_CRASH_MAX_DELAY_MS
  ? Number(process.env.GITOPS_FLOW_CRASH_MAX_DELAY_MS)
  : undefined;
const TOKEN = 'crash-trials-token-4f1c';
const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const UAT = 'kustomizations/overlays/uat/kustomization.yaml';
const ARGV = ['--verbose', 'promote', '--from', 'dev', '--to', 'uat', '--timeout', '60s'];

interface Killed extends CliResult {
  killed: boolean;
  /** What the run was doing when it was killed: the last command it had started (verbose `$ ` lines). */
  doing: string;
  ms: number;
}

/** Starts the binary in its own process group and SIGKILLs the group after `delayMs` (unless it exited). */
async function runAndKill(cwd: string, env: NodeJS.ProcessEnv, delayMs: number): Promise<Killed> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'gitops-flow.js'), ...ARGV], {
    cwd,
    env,
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    process.kill(-(child.pid as number), 'SIGKILL');
  }, delayMs);
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 137)));
  clearTimeout(timer);
  const ms = Date.now() - t0;
  // Every process of the group (git, kubectl, kustomize) is gone before anything looks at the result.
  for (let i = 0; i < 200 && groupAlive(child.pid as number); i++) await new Promise((r) => setTimeout(r, 50));
  const last = stderr
    .split('\n')
    .filter((l) => l.startsWith('$ '))
    .at(-1);
  const doing = !killed ? 'finished before the kill' : last ? commandOf(last.slice(2)) : 'starting (no command yet)';
  return { code, stdout, stderr, killed, doing, ms };
}

/** `kubectl --context uat apply -f x` → `kubectl apply`: the tool and its subcommand, without options. */
function commandOf(line: string): string {
  const words = line.split(' ');
  const valued = new Set(['--context', '--namespace', '-n', '-C', '-c']);
  const verb = words.slice(1).find((w, i) => /^[a-z][a-z-]*$/.test(w) && !valued.has(words[i] as string));
  return [words[0], verb].filter(Boolean).join(' ');
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function fsck(dir: string): string | undefined {
  const r = spawnSync('git', ['fsck', '--no-progress', '--no-dangling'], { cwd: dir, encoding: 'utf8' });
  return r.status === 0 ? undefined : `${r.stdout}${r.stderr}`;
}

describe('promote killed with SIGKILL at random moments', () => {
  let cluster: DedicatedCluster;
  let server: GitHttpServer;
  let remote: Remote;
  beforeAll(async () => {
    // A cluster of its own whose pods are Ready at once: each trial deploys, so the wait is the cost.
    cluster = await startDedicatedCluster({ name: 'uat', podReadyDelayMs: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await cluster?.dispose();
  });

  it(
    `${TRIALS} trials: fsck clean, one commit per change, the cluster at the render of the tip`,
    async () => {
      const { files } = uniqueExample();
      remote = makeRemote(files);
      gitSync(remote.dir, ['config', 'http.receivepack', 'true']);
      server = await serveGitHttp({ root: dirname(remote.dir), token: TOKEN });
      const env = cleanEnv({ KUBECONFIG: cluster.kubeconfig, GITOPS_FLOW_GIT_TOKEN: TOKEN });
      const header = `http.extraHeader=Authorization: Basic ${Buffer.from(`oauth2:${TOKEN}`).toString('base64')}`;
      // The release manager's clone (over HTTP, where gitops-flow runs) and a developer's (pushes to dev).
      const dir = join(tempDir('gitops-flow-crash-clone-'), 'env');
      // Not gitSync: the HTTP server answers from this process, so the clone must not block it.
      await promisify(execFile)('git', ['-c', header, 'clone', '--quiet', `${server.url}/env.git`, dir], {
        cwd: dirname(dir),
        env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
      });
      gitSync(dir, ['config', 'user.name', 'Release Manager']);
      gitSync(dir, ['config', 'user.email', 'rm@example.com']);
      const developer = join(tempDir('gitops-flow-crash-dev-'), 'env');
      gitSync(dirname(developer), ['clone', '--quiet', remote.url, developer]);

      // Calibration: two uninterrupted promotes (the first also creates the namespace); the second is timed.
      const pushDev = (tag: string) => {
        gitSync(developer, ['pull', '--quiet', '--ff-only']);
        const sha = commitFiles(
          developer,
          { [DEV]: (files[DEV] as string).replace('newTag: "1.0.0"', `newTag: "${tag}"`) },
          `dev ${tag}`,
        );
        gitSync(developer, ['push', '--quiet', 'origin', 'main']);
        return sha;
      };
      let calibration: Killed | undefined;
      for (const tag of ['1.0.0-calibration.1', '1.0.0-calibration.2']) {
        pushDev(tag);
        calibration = await runAndKill(dir, env, 600_000);
        expect(calibration.code, calibration.stderr).toBe(0);
      }
      if (!calibration) throw new Error('no calibration run');
      const MAX_DELAY_MS = FIXED_MAX_DELAY_MS ?? Math.round(calibration.ms * 1.1);
      const random = seededRandom(SEED);
      console.log(
        `crash trials: seed ${SEED} (GITOPS_FLOW_CRASH_SEED=${SEED} replays it), ${TRIALS} trials, kill within ${MAX_DELAY_MS} ms of spawn (an uninterrupted promote took ${calibration.ms} ms)`,
      );
      const figures = {
        trials: 0,
        killed: 0,
        finishedBeforeKill: 0,
        reruns: 0,
        rerunLanded: 0,
        rerunNoChange: 0,
        staleLocksTakenOver: 0,
        fsckFailures: 0,
        duplicates: 0,
        clusterDiffs: 0,
        killedDuring: {} as Record<string, number>,
        uninterruptedMs: [] as number[],
        seed: SEED,
        maxDelayMs: MAX_DELAY_MS,
        calibrationMs: calibration.ms,
        seconds: 0,
      };
      const started = Date.now();
      for (let i = 1; i <= TRIALS; i++) {
        const tag = `1.${i}.0`;
        const delay = Math.floor(random() * MAX_DELAY_MS);
        const base = pushDev(tag);
        const trial = `trial ${i} (seed ${SEED}, kill after ${delay} ms)`;

        const k = await runAndKill(dir, env, delay);
        figures.trials++;
        if (k.killed) figures.killed++;
        else {
          figures.finishedBeforeKill++;
          figures.uninterruptedMs.push(k.ms);
        }
        figures.killedDuring[k.doing] = (figures.killedDuring[k.doing] ?? 0) + 1;
        if (!k.killed) expect(k.code, `${trial}: the uninterrupted run\n${k.stderr}`).toBe(0);
        const broken = [fsck(dir), fsck(remote.dir)].filter(Boolean);
        figures.fsckFailures += broken.length;
        expect(broken, `${trial}, killed while ${k.doing}: git fsck`).toEqual([]);

        const again = await runBinary(ARGV, { cwd: dir, env });
        figures.reruns++;
        expect(
          again.code,
          `${trial}, killed while ${k.doing}: the rerun\n${again.stderr}\n--- killed run:\n${k.stderr}`,
        ).toBe(0);
        if (again.stderr.includes('Took over a stale lock')) figures.staleLocksTakenOver++;
        if (/No change: uat already has/.test(again.stderr)) figures.rerunNoChange++;
        else figures.rerunLanded++;

        // Exactly one commit for the change on the remote, and the clone at the remote tip with nothing left over.
        const changes = gitSync(remote.dir, ['rev-list', `${base}..main`, '--', UAT])
          .split('\n')
          .filter(Boolean);
        if (changes.length !== 1) figures.duplicates++;
        expect(changes, `${trial}, killed while ${k.doing}: commits for the change on the remote`).toHaveLength(1);
        expect(gitSync(remote.dir, ['show', `main:${UAT}`])).toContain(`newTag: "${tag}"`);
        expect(gitSync(dir, ['rev-parse', 'HEAD'])).toBe(gitSync(remote.dir, ['rev-parse', 'main']));
        expect(gitSync(dir, ['status', '--porcelain', '--untracked-files=no'])).toBe('');
        expect(existsSync(join(dir, '.git', 'gitops-flow.lock')), `${trial}: the lock is released`).toBe(false);

        // The cluster runs exactly the render of the tip.
        const render = await runBinary(['render', '--env', 'uat'], { cwd: dir, env });
        expect(render.code, render.stderr).toBe(0);
        const file = join(dirname(dir), 'render.yaml');
        writeFileSync(file, render.stdout);
        const diff = spawnSync(
          inject('toolPaths').kubectl,
          [
            '--kubeconfig',
            cluster.kubeconfig,
            '--context',
            'uat',
            'diff',
            '--server-side',
            '--field-manager=gitops-flow',
            '--force-conflicts',
            '-f',
            file,
          ],
          { env, encoding: 'utf8' },
        );
        if (diff.status !== 0) figures.clusterDiffs++;
        expect(
          `${diff.stdout}${diff.stderr}`,
          `${trial}, killed while ${k.doing}: kubectl diff against the render of the tip`,
        ).toBe('');
        expect(diff.status).toBe(0);
      }
      figures.seconds = Math.round((Date.now() - started) / 1000);
      recordFigures('crash-trials', figures);
      expect(
        figures.killed,
        'most trials must be killed mid-run (the window is calibrated; a slower first run widens it)',
      ).toBeGreaterThan(TRIALS / 2);
    },
    TRIALS * 90_000 + 60_000,
  );
});
