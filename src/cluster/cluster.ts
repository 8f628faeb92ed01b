// A local Kubernetes control plane (for `npm start`, `npm run cluster:up` and the e2e tier), built from the pinned
// tools of ci/tools.json: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok (fake nodes; pods become Ready through kwok Stages).
// Everything listens on 127.0.0.1 on free ports; each process is detached with
// its log in <dir>/logs/<component>.log and its PID in <dir>/pids/<component>.pid.

import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { kubeconfigYaml, mergeKubeconfigs } from './kubeconfig.js';
import { nodesYaml, stagesYaml } from './manifests.js';
import { createPki } from './pki.js';
import { httpGet, httpsGet } from './probes.js';
import { type Daemon, freePorts, readPid, run, startDaemon, stopPids, waitFor } from './proc.js';
import { type ClusterBinaries, clusterBinaries } from './tools.js';

export const SERVICE_CIDR = '10.0.0.0/24';
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** Components in start order; stop goes the other way. */
export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;
export type Component = (typeof COMPONENTS)[number];

export interface StartClusterOptions {
  /** Cluster, user and context name in the kubeconfig, e.g. `dev`. */
  name: string;
  /** State directory of this cluster (created; pki, etcd data, logs, pids, kubeconfig). */
  dir: string;
  /** Number of fake kwok nodes (kwok-node-0 ...). Default 1. */
  nodes?: number;
  /** Delay before a scheduled pod becomes Ready (kwok pod-ready stage). Default 1000. */
  podReadyDelayMs?: number;
  /** Binaries to use; default: ci/tools/build.sh's cache (built on first use). */
  binaries?: ClusterBinaries;
  /** Time allowed for each readiness wait. Default 120 s. */
  timeoutMs?: number;
}

export interface ProcessInfo {
  pid: number;
  binary: string;
}

export interface Cluster {
  name: string;
  /** This cluster's own kubeconfig (<dir>/kubeconfig), credentials embedded. */
  kubeconfig: string;
  context: string;
  dir: string;
  /** https://127.0.0.1:<port> */
  server: string;
  pids: Partial<Record<Component, ProcessInfo>>;
  /** Stops every process of the cluster (SIGTERM, then SIGKILL) and waits until gone. */
  stop(): Promise<void>;
}

/** Runs the pinned kubectl against one context of a kubeconfig. */
export function kubectl(
  binaries: Pick<ClusterBinaries, 'kubectl'>,
  kubeconfig: string,
  context: string,
  args: readonly string[],
  opts: { input?: string; timeoutMs?: number } = {},
) {
  return run(binaries.kubectl, ['--kubeconfig', kubeconfig, '--context', context, ...args], opts);
}

export async function startCluster(opts: StartClusterOptions): Promise<Cluster> {
  const { name } = opts;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new Error(`cluster name must be a DNS label: ${name}`);
  const dir = path.resolve(opts.dir);
  const nodes = opts.nodes ?? 1;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const bin = opts.binaries ?? (await clusterBinaries());
  await mkdir(dir, { recursive: true });

  const daemons: Daemon[] = [];
  const stop = () => stopDaemons(daemons);
  try {
    const pki = await createPki(path.join(dir, 'pki'));
    const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedPort, kwokPort] = await freePorts(6);
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(kubeconfig, await kubeconfigYaml(name, server, pki), { mode: 0o600 });
    const stages = path.join(dir, 'stages.yaml');
    // Container logs served by kwok's kubelet API (ClusterLogs): every container "wrote" crash.log.
    const crashLog = path.join(dir, 'crash.log');
    await writeFile(crashLog, CRASH_LOG);
    await writeFile(stages, (await stagesYaml(opts.podReadyDelayMs ?? 1000)) + clusterLogsYaml(crashLog));
    const k = (args: readonly string[], input?: string) =>
      kubectl(bin, kubeconfig, name, args, { input, timeoutMs: 30_000 });

    // etcd
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = await startDaemon(dir, 'etcd', bin.etcd, [
      '--name=node0',
      `--data-dir=${path.join(dir, 'etcd-data')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=node0=${peerUrl}`,
      '--initial-cluster-state=new',
      '--auto-compaction-retention=1',
      '--quota-backend-bytes=2147483648',
      // Throwaway test data: skip fsync, which dominates on slow disks.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ]);
    daemons.push(etcd);
    await waitFor(
      'etcd /health',
      etcd,
      async () => /"health":\s*"true"/.test(await httpGet(`${etcdUrl}/health`)),
      timeoutMs,
    );

    // kube-apiserver
    const apiserver = await startDaemon(dir, 'kube-apiserver', bin.kubeApiserver, [
      `--etcd-servers=${etcdUrl}`,
      '--etcd-prefix=/registry',
      '--bind-address=127.0.0.1',
      // Loopback only. The Endpoints of the `kubernetes` Service may not be a
      // loopback address, so its reconciler is off (nothing here needs it).
      '--advertise-address=127.0.0.1',
      '--endpoint-reconciler-type=none',
      `--secure-port=${apiPort}`,
      `--cert-dir=${path.join(dir, 'certs', 'kube-apiserver')}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-key-file=${pki.serviceAccountKey}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      // Fake nodes answer as kubelets on their InternalIP (kwok's server): logs of pods work.
      '--kubelet-preferred-address-types=InternalIP',
    ]);
    daemons.push(apiserver);
    await waitFor(
      'kube-apiserver /readyz',
      apiserver,
      async () => (await k(['get', '--raw', '/readyz'])).stdout.trim() === 'ok',
      timeoutMs,
      500,
    );

    // kube-controller-manager, kube-scheduler, kwok
    const common = [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
    ];
    const kcm = await startDaemon(dir, 'kube-controller-manager', bin.kubeControllerManager, [
      ...common,
      `--secure-port=${kcmPort}`,
      `--root-ca-file=${pki.caCert}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      // Fake nodes on a busy machine: be patient before marking them NotReady.
      '--node-monitor-grace-period=3m20s',
      '--kube-api-qps=100',
      '--kube-api-burst=200',
    ]);
    daemons.push(kcm);
    const scheduler = await startDaemon(dir, 'kube-scheduler', bin.kubeScheduler, [
      ...common,
      `--secure-port=${schedPort}`,
    ]);
    daemons.push(scheduler);
    const kwok = await startDaemon(
      dir,
      'kwok',
      bin.kwok,
      [
        `--kubeconfig=${kubeconfig}`,
        `--config=${stages}`,
        '--manage-all-nodes=true',
        '--node-lease-duration-seconds=40',
        `--server-address=127.0.0.1:${kwokPort}`,
        // The nodes' kubelet endpoint is kwok's server (TLS), so the API server's pod log requests reach it.
        '--node-ip=127.0.0.1',
        `--node-port=${kwokPort}`,
        `--tls-cert-file=${pki.serverCert}`,
        `--tls-private-key-file=${pki.serverKey}`,
        '--cidr=10.244.0.1/16',
      ],
      // kwok also reads ~/.kwok/kwok.yaml when it exists: keep it hermetic.
      { ...process.env, HOME: dir },
    );
    daemons.push(kwok);
    await Promise.all([
      waitFor(
        'kube-controller-manager /healthz',
        kcm,
        async () => (await httpsGet(`https://127.0.0.1:${kcmPort}/healthz`)) === 'ok',
        timeoutMs,
      ),
      waitFor(
        'kube-scheduler /healthz',
        scheduler,
        async () => (await httpsGet(`https://127.0.0.1:${schedPort}/healthz`)) === 'ok',
        timeoutMs,
      ),
      waitFor(
        'kwok /healthz',
        kwok,
        async () => (await httpsGet(`https://127.0.0.1:${kwokPort}/healthz`)).trim() === 'ok',
        timeoutMs,
      ),
    ]);

    // Fake nodes, then wait for what pods need: the default ServiceAccount and Ready nodes.
    await k(['apply', '-f', '-'], nodesYaml(nodes));
    await waitFor(
      'the default ServiceAccount in namespace default',
      kcm,
      async () => {
        await k(['get', 'serviceaccount', 'default', '--namespace', 'default', '-o', 'name']);
        return true;
      },
      timeoutMs,
      500,
    );
    await waitFor(
      `${nodes} Ready node(s)`,
      kwok,
      async () => {
        const list = JSON.parse((await k(['get', 'nodes', '-o', 'json'])).stdout) as {
          items: { status?: { conditions?: { type: string; status: string }[] } }[];
        };
        const ready = list.items.filter((n) =>
          n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return ready.length >= nodes;
      },
      timeoutMs,
      500,
    );

    const pids: Cluster['pids'] = {};
    for (const d of daemons) pids[d.component as Component] = { pid: d.pid, binary: d.binary };
    return { name, kubeconfig, context: name, dir, server, pids, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/**
 * Stops one cluster's processes in phases: the apiserver's clients, then the
 * apiserver, then etcd. (An apiserver stopped together with its clients and
 * etcd can hang in graceful shutdown until SIGKILL.)
 */
export async function stopComponents(
  procs: readonly { component: string; pid: number; binary?: string }[],
): Promise<void> {
  const by = (names: readonly string[]) => procs.filter((p) => names.includes(p.component));
  const phases = [['kwok', 'kube-scheduler', 'kube-controller-manager'], ['kube-apiserver'], ['etcd']] as const;
  await stopPids(procs.filter((p) => !phases.flat().includes(p.component as Component)));
  for (const phase of phases) await stopPids(by(phase));
}

const stopDaemons = (daemons: readonly Daemon[]) => stopComponents(daemons);

/**
 * Stops whatever a cluster dir's PID files name (for down.ts, or after a crash).
 * A PID whose command line is not the component's binary is left alone.
 */
export async function stopClusterDir(dir: string): Promise<void> {
  const pidDir = path.join(dir, 'pids');
  if (!existsSync(pidDir)) return;
  const daemons: Daemon[] = [];
  for (const f of await readdir(pidDir)) {
    if (!f.endsWith('.pid')) continue;
    const component = f.slice(0, -'.pid'.length);
    const pid = await readPid(path.join(pidDir, f));
    if (pid === undefined) continue;
    daemons.push({ component, pid, binary: `/${component}`, logFile: '', pidFile: path.join(pidDir, f) });
  }
  await stopDaemons(daemons);
  for (const d of daemons) await rm(d.pidFile, { force: true });
}

export interface ClusterSet {
  clusters: Cluster[];
  /** One kubeconfig with a context per cluster; current-context is the first. */
  kubeconfig: string;
  stop(): Promise<void>;
}

/** Starts several clusters side by side under stateDir/<name>; all or nothing. */
export async function startClusters(
  names: readonly string[],
  stateDir: string,
  opts: Omit<StartClusterOptions, 'name' | 'dir'> = {},
): Promise<ClusterSet> {
  if (names.length === 0) throw new Error('no cluster names');
  const binaries = opts.binaries ?? (await clusterBinaries());
  const results = await Promise.allSettled(
    names.map((name) => startCluster({ ...opts, binaries, name, dir: path.join(stateDir, name) })),
  );
  const clusters = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async () => {
    await Promise.all(clusters.map((c) => c.stop()));
  };
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`cluster ${names[i]}: ${errorMessage(r.reason)}`] : [],
  );
  if (failures.length > 0) {
    await stop().catch(() => undefined);
    throw new Error(failures.join('\n\n'));
  }
  const kubeconfig = path.join(stateDir, 'kubeconfig');
  await mergeKubeconfigs(
    clusters.map((c) => c.kubeconfig),
    kubeconfig,
  );
  return { clusters, kubeconfig, stop };
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export { mergeKubeconfigs, stagesYaml };

/** What a crashed container's log says (CRI log format, as kubelets keep them). */
const CRASH_LOG = [
  '2026-01-01T00:00:00.000000000Z stdout F starting app',
  '2026-01-01T00:00:00.100000000Z stderr F error: config key "database.url" is missing',
  '2026-01-01T00:00:00.200000000Z stderr F exiting with code 1',
  '',
].join('\n');

/** kwok's ClusterLogs for every pod: the current and previous instance of each container log `file`. */
function clusterLogsYaml(file: string): string {
  return `
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: gitops-flow-logs
spec:
  logs:
  - logsFile: ${JSON.stringify(file)}
    previousLogsFile: ${JSON.stringify(file)}
    follow: false
`;
}
