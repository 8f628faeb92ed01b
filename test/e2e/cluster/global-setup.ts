// vitest globalSetup for the e2e tier: starts local clusters side by side in a
// temp dir (dev, uat and prod by default: ~10 s in all, ~0.6 GB each;
// GITOPS_FLOW_E2E_CLUSTERS=dev,uat picks others) and hands them to the tests:
//   inject('kubeconfig')        path of one kubeconfig with a context per cluster
//   inject('clusterContexts')   the context names, e.g. ['dev', 'uat', 'prod']
//   inject('toolPaths')         { kubectl, kustomize }: the pinned binaries
//   inject('toolVersions')      ci/tools.json's versions
// and process.env.GITOPS_FLOW_E2E_KUBECONFIG (same path; for code run in this
// process). A cluster that cannot start fails the run: it never skips.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { parse, stringify } from 'yaml';
import { type ClusterSet, startClusters } from '../../../src/cluster/cluster.js';
import { executable, isAlive } from '../../../src/cluster/proc.js';
import { clusterBinaries, readToolsManifest, toolDir } from '../../../src/cluster/tools.js';
import { addCanarySource, canaryFor, canaryOn } from '../../setup/canary.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Merged kubeconfig: one context per e2e cluster. */
    kubeconfig: string;
    /** Context names in that kubeconfig, e.g. ['dev', 'uat']. */
    clusterContexts: string[];
    /** ci/tools.json's pinned versions the clusters and tools were built from. */
    toolVersions: { kubernetes: string; kubectl: string; kustomize: string; kwok: string; etcd: string };
    /** Absolute paths of the pinned kubectl and kustomize (ci/tools/build.sh cache). */
    toolPaths: { kubectl: string; kustomize: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const names = (process.env.GITOPS_FLOW_E2E_CLUSTERS ?? 'dev,uat,prod')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // Tools first (ci/tools/build.sh builds what the cache lacks), so nothing
  // below can fail with clusters left running.
  const m = readToolsManifest();
  const binaries = await clusterBinaries();
  const kubectl = binaries.kubectl;
  const kustomize = path.join(await toolDir('kustomize'), 'kustomize');
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'gitops-flow-e2e-'));
  const started = Date.now();
  process.stderr.write(`e2e: starting clusters ${names.join(', ')} in ${stateDir}\n`);
  const set: ClusterSet = await startClusters(names, stateDir, { binaries }).catch((err: unknown) => {
    // Keep stateDir: its logs/ are what explains the failure.
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`e2e clusters failed to start (state and logs kept in ${stateDir}):\n${msg}`);
  });
  process.stderr.write(
    `e2e: clusters up in ${((Date.now() - started) / 1000).toFixed(1)} s; kubeconfig ${set.kubeconfig}\n`,
  );
  if (canaryOn()) await addKubeconfigCanary(set.kubeconfig);

  project.provide('kubeconfig', set.kubeconfig);
  project.provide(
    'clusterContexts',
    set.clusters.map((c) => c.context),
  );
  project.provide('toolVersions', {
    kubernetes: m.kubernetes,
    kubectl: m.kubectl,
    kustomize: m.kustomize,
    kwok: m.kwok,
    etcd: m.etcd,
  });
  project.provide('toolPaths', { kubectl, kustomize });
  process.env.GITOPS_FLOW_E2E_KUBECONFIG = set.kubeconfig;

  // Safety net: if vitest exits without running the teardown (interrupted),
  // the detached cluster processes must not outlive it.
  const procs = set.clusters.flatMap((c) => Object.values(c.pids));
  const killLeftovers = () => {
    for (const p of procs) {
      if (isAlive(p.pid) && executable(p.pid).endsWith(p.binary)) process.kill(p.pid, 'SIGKILL');
    }
  };
  process.once('exit', killLeftovers);

  return async function teardown() {
    process.off('exit', killLeftovers);
    await set.stop();
    if (process.env.GITOPS_FLOW_E2E_KEEP !== '1') await rm(stateDir, { recursive: true, force: true });
    else process.stderr.write(`e2e: kept ${stateDir} (GITOPS_FLOW_E2E_KEEP=1)\n`);
  };
}

/**
 * Canary mode: every user of the tests' kubeconfig also carries a bearer token that is a canary
 * (the API servers authenticate the client certificate; the token must simply never show up).
 */
async function addKubeconfigCanary(kubeconfig: string): Promise<void> {
  const cfg = parse(await readFile(kubeconfig, 'utf8')) as { users: { user: Record<string, unknown> }[] };
  for (const u of cfg.users) u.user.token = canaryFor('KUBECONFIG_TOKEN');
  await writeFile(kubeconfig, stringify(cfg), { mode: 0o600 });
  addCanarySource(kubeconfig);
}
