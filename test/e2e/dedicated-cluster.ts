/**
 * A cluster of a test's own (for tests that kill or stop parts of it), stopped even when vitest is
 * interrupted, and a way to stop its kube-apiserver for a while and bring it back on the same port.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cluster, kubectl, type StartClusterOptions, startCluster } from '../../src/cluster/cluster.js';
import { executable, isAlive, startDaemon, stopPids, waitFor } from '../../src/cluster/proc.js';
import { clusterBinaries } from '../../src/cluster/tools.js';

export interface DedicatedCluster extends Cluster {
  /** Stops the cluster and removes its state directory. */
  dispose(): Promise<void>;
}

/** Starts a cluster in a fresh temp dir; its processes are killed if this process exits first. */
export async function startDedicatedCluster(o: Omit<StartClusterOptions, 'dir'>): Promise<DedicatedCluster> {
  const dir = mkdtempSync(join(tmpdir(), `gitops-flow-${o.name}-own-`));
  const cluster = await startCluster({ ...o, dir });
  const killLeftovers = () => {
    for (const p of Object.values(cluster.pids))
      if (isAlive(p.pid) && executable(p.pid).endsWith(p.binary)) process.kill(p.pid, 'SIGKILL');
  };
  // Interrupted (Ctrl-C, a CI cancel): the detached processes must not outlive the test.
  const onSignal = (signal: NodeJS.Signals) => {
    killLeftovers();
    process.kill(process.pid, signal);
  };
  process.once('exit', killLeftovers);
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, onSignal);
  return {
    ...cluster,
    dispose: async () => {
      process.off('exit', killLeftovers);
      for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, onSignal);
      await cluster.stop();
      // A restarted kube-apiserver is not among the processes cluster.stop() knows.
      await stopPids(Object.entries(cluster.pids).map(([component, p]) => ({ component, ...p })));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Stops the cluster's kube-apiserver (SIGTERM, then SIGKILL); returns a function that starts it again,
 * as it was, on the same port, and waits for /readyz. Its clients (controller manager, scheduler,
 * kwok) are restarted with it: here their informers, cut off for the outage, otherwise lag for
 * minutes ("read version … is not as new as written version", pods left Pending), which would
 * measure the harness, not gitops-flow.
 */
export async function stopApiserver(c: Cluster): Promise<() => Promise<void>> {
  const argvOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const clients = ['kube-controller-manager', 'kube-scheduler', 'kwok'] as const;
  const api = c.pids['kube-apiserver'];
  if (!api || clients.some((n) => !c.pids[n])) throw new Error(`cluster ${c.name} lacks a control-plane process`);
  const argv = Object.fromEntries(
    (['kube-apiserver', ...clients] as const).map((n) => [n, argvOf((c.pids[n] as { pid: number }).pid)]),
  ) as Record<string, string[]>;
  await stopPids([{ ...api, component: 'kube-apiserver' }], 2_000);
  const start = async (name: string, env: NodeJS.ProcessEnv = process.env) => {
    const a = argv[name] as string[];
    const d = await startDaemon(c.dir, name, a[0] as string, a.slice(1), env);
    (c.pids as Record<string, { pid: number; binary: string }>)[name] = { pid: d.pid, binary: d.binary };
    return d;
  };
  return async () => {
    const d = await start('kube-apiserver');
    const bin = await clusterBinaries();
    await waitFor(
      'kube-apiserver /readyz after restart',
      d,
      async () =>
        (
          await kubectl(bin, c.kubeconfig, c.context, ['get', '--raw', '/readyz'], { timeoutMs: 5_000 })
        ).stdout.trim() === 'ok',
      120_000,
      300,
    );
    await stopPids(
      clients.map((n) => ({ ...(c.pids[n] as { pid: number; binary: string }), component: n })),
      5_000,
    );
    for (const n of clients) await start(n, n === 'kwok' ? { ...process.env, HOME: c.dir } : process.env);
  };
}
