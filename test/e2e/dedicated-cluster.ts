/**
 * A cluster of a test's own (for tests that kill or stop parts of it), stopped even when vitest is
 * interrupted, and a way to stop its kube-apiserver for a while and bring it back on the same port.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cluster, kubectl, type StartClusterOptions, startCluster } from './cluster/cluster.js';
import { executable, isAlive, startDaemon, stopPids, waitFor } from './cluster/proc.js';
import { clusterBinaries } from './cluster/tools.js';

export interface DedicatedCluster extends Cluster {
  /** Stops the cluster and removes its state directory. */
  dispose(): Promise<void>;
}

/** Starts a cluster in a fresh temp dir; its processes are killed if this process exits first. */
export async function startDedicatedCluster(o: Omit<StartClusterOptions, 'dir'>): Promise<DedicatedCluster> {
  const dir = mkdtempSync(join(tmpdir(), `gitops-flow-${o.name}-own-`));
  const cluster = await startCluster({ ...o, dir });
  const killLeftovers = () => {
    for (const p of Object.values(cluster.pids)) if (isAlive(p.pid) && executable(p.pid).endsWith(p.binary)) process.kill(p.pid, 'SIGKILL');
  };
  process.once('exit', killLeftovers);
  return {
    ...cluster,
    dispose: async () => {
      process.off('exit', killLeftovers);
      await cluster.stop();
      // A restarted kube-apiserver is not among the processes cluster.stop() knows.
      await stopPids(Object.entries(cluster.pids).map(([component, p]) => ({ component, ...p })));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Stops the cluster's kube-apiserver (SIGTERM, then SIGKILL); returns a function that starts it again, as it was, and waits for /readyz. */
export async function stopApiserver(c: Cluster): Promise<() => Promise<void>> {
  const p = c.pids['kube-apiserver'];
  if (!p) throw new Error(`cluster ${c.name} has no kube-apiserver process`);
  const argv = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  await stopPids([{ ...p, component: 'kube-apiserver' }], 2_000);
  return async () => {
    const d = await startDaemon(c.dir, 'kube-apiserver', argv[0] as string, argv.slice(1));
    c.pids['kube-apiserver'] = { pid: d.pid, binary: d.binary };
    const bin = await clusterBinaries();
    await waitFor('kube-apiserver /readyz after restart', d, async () => (await kubectl(bin, c.kubeconfig, c.context, ['get', '--raw', '/readyz'], { timeoutMs: 5_000 })).stdout.trim() === 'ok', 120_000, 300);
  };
}
