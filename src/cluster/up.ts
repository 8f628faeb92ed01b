// Starts local clusters that outlive this script (stop them with down.ts).
//
//   npm run cluster:up -- [--clusters dev,uat] [--nodes 1] [--pod-ready-delay-ms 1000]
//
// State dir: ${GITOPS_FLOW_CLUSTER_DIR:-$HOME/.cache/gitops-flow/cluster}; the
// merged kubeconfig (a context per cluster) is <stateDir>/kubeconfig, whose
// path is the only thing printed on stdout. <stateDir>/state.json has the PIDs.
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startClusters, stopClusterDir } from './cluster.js';
import { isAlive } from './proc.js';
import { readState, type State, stateDir } from './state.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      clusters: { type: 'string', default: 'dev,uat' },
      nodes: { type: 'string', default: '1' },
      'pod-ready-delay-ms': { type: 'string', default: '1000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stderr.write('usage: up.ts [--clusters dev,uat] [--nodes N] [--pod-ready-delay-ms MS]\n');
    return 0;
  }
  const names = values.clusters
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const dir = stateDir();

  const previous = await readState(dir);
  const running = previous?.clusters.flatMap((c) => Object.values(c.pids).filter((p) => isAlive(p.pid))) ?? [];
  if (running.length > 0) {
    process.stderr.write(
      `up.ts: clusters already running under ${dir} (PIDs ${running.map((p) => p.pid).join(' ')}); run down.ts first\n`,
    );
    return 1;
  }
  // Leftovers of a crashed run: stop what the PID files name, then start afresh.
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    await stopClusterDir(path.join(dir, entry));
  }
  for (const name of names) await rm(path.join(dir, name), { recursive: true, force: true });
  await rm(path.join(dir, 'state.json'), { force: true });

  const started = Date.now();
  process.stderr.write(`up.ts: starting ${names.join(', ')} under ${dir}\n`);
  const set = await startClusters(names, dir, {
    nodes: Number.parseInt(values.nodes, 10),
    podReadyDelayMs: Number.parseInt(values['pod-ready-delay-ms'], 10),
  });
  const state: State = {
    kubeconfig: set.kubeconfig,
    startedAt: new Date().toISOString(),
    clusters: set.clusters.map((c) => ({
      name: c.name,
      dir: c.dir,
      context: c.context,
      server: c.server,
      kubeconfig: c.kubeconfig,
      pids: c.pids,
    })),
  };
  await writeFile(path.join(dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  process.stderr.write(
    `up.ts: ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${set.clusters.map((c) => `${c.context}=${c.server}`).join(' ')}\n` +
      `up.ts: export KUBECONFIG=${set.kubeconfig}\n`,
  );
  process.stdout.write(`${set.kubeconfig}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`up.ts: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
