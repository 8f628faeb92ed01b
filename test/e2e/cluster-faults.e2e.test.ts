/**
 * Cluster faults on a cluster of this test's own: its kube-apiserver process is stopped for 20 s in the
 * middle of a deploy (while it waits for the rollout, or before it applies) and started again on the
 * same port. With a timeout that outlasts the outage the deploy resumes and succeeds; with a short one
 * it exits 1 CLUSTER_UNREACHABLE, listing what it applied, and says the restore attempt failed too. A rollout
 * that fails (kwok never-ready label) puts the cluster back at exactly the last good render, and the
 * error lists what was applied, what was not ready and what was restored.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CliResult, cleanEnv, runBinary } from '../helpers/cli.js';
import { recordFigures } from '../helpers/figures.js';
import { commitFiles, makeRepo, REPO_ROOT, tempDir } from '../helpers/git-fixtures.js';
import { type DedicatedCluster, startDedicatedCluster, stopApiserver } from './dedicated-cluster.js';
import { neverReadyPatch, uniqueExample } from './helpers.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const OUTAGE_MS = 20_000;

/** Runs the binary; `when(stderr)` is called on each chunk so the test can act at a moment of the run. */
function runWatching(
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  when: (stderr: string) => void,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'gitops-flow.js'), ...argv], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      when(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('cluster faults', () => {
  let cluster: DedicatedCluster;
  const figures = {
    outages: 0,
    outageSeconds: OUTAGE_MS / 1000,
    applyRetries: 0,
    waitResumes: 0,
    survived: 0,
    reportedUnreachable: 0,
    restoredExactly: 0,
  };
  beforeAll(async () => {
    // Pods take 4 s to become Ready, so a deploy is still waiting when the API server goes away.
    cluster = await startDedicatedCluster({ name: 'dev', podReadyDelayMs: 4_000 });
  });
  afterAll(async () => {
    await cluster?.dispose();
    recordFigures('cluster-faults', figures);
  });
  const env = () => cleanEnv({ KUBECONFIG: cluster.kubeconfig });
  const readyReplicas = (ns: string) =>
    spawnSync(
      inject('toolPaths').kubectl,
      [
        '--kubeconfig',
        cluster.kubeconfig,
        '--context',
        'dev',
        '-n',
        ns,
        'get',
        'deployment',
        'pick-manager',
        '-o',
        'jsonpath={.status.readyReplicas}',
      ],
      { encoding: 'utf8' },
    ).stdout.trim();

  /** Deploys, stopping the API server for `OUTAGE_MS` once `trigger` shows in the run's stderr. */
  async function deployThroughOutage(
    dir: string,
    timeout: string,
    trigger: string,
  ): Promise<CliResult & { downAt: number; upAt: number }> {
    let outage: Promise<void> | undefined;
    let downAt = 0;
    let upAt = 0;
    const cut = async () => {
      const restart = await stopApiserver(cluster);
      downAt = Date.now();
      figures.outages++;
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await restart();
      upAt = Date.now();
    };
    const r = await runWatching(['deploy', '--env', 'dev', '--timeout', timeout], dir, env(), (stderr) => {
      if (!outage && stderr.includes(trigger)) outage = cut();
    });
    await outage;
    return { ...r, downAt, upAt };
  }

  it('API server stopped for 20 s while the deploy waits for the rollout: a timeout that outlasts it → the wait resumes, exit 0', async () => {
    const { files, ns } = uniqueExample();
    const dir = makeRepo(files);
    const r = await deployThroughOutage(dir, '120s', 'Verifying ');
    expect(r.downAt, 'the API server was stopped during the run').toBeGreaterThan(0);
    expect(r.stderr).not.toContain('error[');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`✓ Deployment/pick-manager (namespace ${ns('dev')}) ready`);
    expect(readyReplicas(ns('dev'))).toBe('2');
    figures.waitResumes += (r.stderr.match(/The API server is unreachable \([^)]*\); still watching/g) ?? []).length;
    figures.survived++;
  });

  it('API server down when the deploy starts, back 20 s later: the apply is retried with backoff, exit 0', async () => {
    const { files, ns } = uniqueExample();
    const dir = makeRepo(files);
    const restart = await stopApiserver(cluster);
    figures.outages++;
    const back = new Promise<void>((resolve, reject) => setTimeout(() => restart().then(resolve, reject), OUTAGE_MS));
    const r = await runBinary(['deploy', '--env', 'dev', '--timeout', '120s'], { cwd: dir, env: env() });
    await back;
    expect(r.stderr).not.toContain('error[');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /The API server is unreachable \((connection refused|was refused - did you specify|Unable to connect to the server)\); retrying (creating the namespaces|the apply) in 1 s/,
    );
    expect(readyReplicas(ns('dev'))).toBe('2');
    figures.applyRetries += (r.stderr.match(/The API server is unreachable \(/g) ?? []).length;
    figures.survived++;
  });

  it('API server stopped mid-wait with a 10 s timeout: exit 1 CLUSTER_UNREACHABLE, what was applied listed, the failed restore said', async () => {
    const { files, ns } = uniqueExample();
    const dir = makeRepo(files);
    commitFiles(dir, { [DEV]: (files[DEV] as string).replace('newTag: "1.0.0"', 'newTag: "1.0.1"') }, 'dev 1.0.1');
    const r = await deployThroughOutage(dir, '10s', 'Verifying ');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      'error[CLUSTER_UNREACHABLE]: The Kubernetes API server of dev became unreachable during the deploy and did not come back within 10 s.',
    );
    expect(r.stderr).toMatch(/applied \(\d+\): .*deployment\.apps\/pick-manager/);
    expect(r.stderr).toContain(
      `Deployment/pick-manager (namespace ${ns('dev')}): not verified, the API server was unreachable`,
    );
    expect(r.stderr).toMatch(/The API server was unreachable: re-applying the last good render \([0-9a-f]{12}\)/);
    expect(r.stderr).toContain('Re-applying the last good render failed: The Kubernetes API server is unreachable.');
    expect(r.stderr).toContain('hint: Check that the cluster is up');
    expect(r.stderr).not.toContain('error[ROLLOUT_FAILED]');
    figures.reportedUnreachable++;
  });

  it('a failed rollout: the cluster is back at exactly the last good render (zero server-side diff), and the error says what was applied and restored', async () => {
    const { files, ns } = uniqueExample();
    const dir = makeRepo(files);
    expect((await runBinary(['deploy', '--env', 'dev', '--timeout', '60s'], { cwd: dir, env: env() })).code).toBe(0);
    const goodRender = join(tempDir('gitops-flow-good-'), 'good.yaml');
    writeFileSync(goodRender, (await runBinary(['render', '--env', 'dev'], { cwd: dir, env: env() })).stdout);
    commitFiles(
      dir,
      { [DEV]: (files[DEV] as string).replace('newTag: "1.0.0"', 'newTag: "6.6.6"') + neverReadyPatch() },
      'a release whose pods never become ready',
    );
    const r = await runBinary(['deploy', '--env', 'dev', '--timeout', '30s'], { cwd: dir, env: env() });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('error[ROLLOUT_FAILED]');
    expect(r.stderr).toMatch(/applied \(\d+\): .*deployment\.apps\/pick-manager/);
    expect(r.stderr).toContain(`Deployment/pick-manager (namespace ${ns('dev')})`);
    expect(r.stderr).toMatch(/The cluster is back at [0-9a-f]{12} \(last good render\)\./);
    const diff = spawnSync(
      inject('toolPaths').kubectl,
      [
        '--kubeconfig',
        cluster.kubeconfig,
        '--context',
        'dev',
        'diff',
        '--server-side',
        '--field-manager=gitops-flow',
        '--force-conflicts',
        '-f',
        goodRender,
      ],
      { encoding: 'utf8' },
    );
    expect(`${diff.stdout}${diff.stderr}`).toBe('');
    expect(diff.status).toBe(0);
    figures.restoredExactly++;
  });
});
