// Stops the clusters that up.ts started.
//
//   npm run cluster:down [-- --purge]      (npx tsx src/cluster/down.ts)
//
// Stops every process named in <stateDir>/state.json and in the clusters' PID
// files (SIGTERM, then SIGKILL), waits until they are gone, and removes
// state.json. Logs stay in <stateDir>/<cluster>/logs unless --purge, which
// removes the whole state dir.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stopClusterDir, stopComponents } from './cluster.js';
import { readState, stateDir } from './state.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { purge: { type: 'boolean', default: false } } });
  const dir = stateDir();
  const state = await readState(dir);
  if (state) {
    await Promise.all(
      state.clusters.map((c) =>
        stopComponents(Object.entries(c.pids).map(([component, p]) => ({ component, pid: p.pid, binary: p.binary }))),
      ),
    );
  }
  // Also whatever PID files say (a crashed up.ts leaves no state.json).
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    await stopClusterDir(path.join(dir, entry));
  }
  if (values.purge) await rm(dir, { recursive: true, force: true });
  else await rm(path.join(dir, 'state.json'), { force: true });
  process.stderr.write(
    `down.ts: stopped${state ? ` ${state.clusters.map((c) => c.name).join(', ')}` : ''} under ${dir}${values.purge ? ' (purged)' : ''}\n`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`down.ts: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
