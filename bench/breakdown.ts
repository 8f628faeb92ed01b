/**
 * Where a verified promote with pods ready at once spends its time (`npx tsx bench/breakdown.ts` after `npm run build`, not
 * part of `npm run bench`): one local control plane (pods Ready at once), BREAKDOWN_RUNS promotes
 * with --verbose (each step's own ms) and, for the last one, every process spawned (strace -f, when
 * installed) with its wall time, beside the floor's six commands timed one by one.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster } from '../src/cluster/cluster.js';
import { toolDir } from '../src/cluster/tools.js';
import { CLI, fmt, must, repoWithRemote, run, stats, tempDir } from './lib.js';
import { envRepoFiles } from './promote.js';

const RUNS = Number(process.env.BREAKDOWN_RUNS ?? 5);
const log = (s: string) => process.stderr.write(`${s}\n`);

function hasStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** execve → exit of each spawned process from `strace -f -tt -e trace=execve,exit_group` output. */
function spawned(trace: string): string[] {
  const start = new Map<string, { t: number; argv: string }>();
  const out: string[] = [];
  const secs = (s: string) => {
    const [h, m, rest] = s.split(':');
    return Number(h) * 3600 + Number(m) * 60 + Number(rest);
  };
  let t0 = 0;
  for (const line of trace.split('\n')) {
    const m = /^(\d+)\s+(\d\d:\d\d:\d\d\.\d+) (.*)$/.exec(line);
    if (!m) continue;
    const [, pid, ts, rest] = m as unknown as [string, string, string, string];
    const t = secs(ts);
    if (!t0) t0 = t;
    const exec = /^execve\("([^"]+)", \[(.*?)\]/.exec(rest);
    if (exec && !rest.includes('= -1')) start.set(pid, { t, argv: (exec[2] ?? '').replace(/"/g, '').slice(0, 90) });
    if (/^\+\+\+ exited/.test(rest) || /^exit_group/.test(rest)) {
      const s = start.get(pid);
      if (s)
        out.push(
          `${((s.t - t0) * 1000).toFixed(0).padStart(5)} ms +${((t - s.t) * 1000).toFixed(0).padStart(4)} ms  ${s.argv}`,
        );
      start.delete(pid);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const toolPath = [await toolDir('kustomize'), await toolDir('kubectl')].join(':');
  const state = tempDir('gitops-flow-breakdown-');
  const cluster = await startCluster({ name: 'uat-0ms', dir: join(state, 'c'), podReadyDelayMs: 0 });
  const env = { ...process.env, PATH: `${toolPath}:${process.env.PATH}`, KUBECONFIG: cluster.kubeconfig };
  try {
    const steps = new Map<string, number[]>();
    const totals: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const { clone } = repoWithRemote(envRepoFiles(`k${r}`, 'uat-0ms'));
      const g = await must(
        run(
          [
            process.execPath,
            CLI,
            '-C',
            clone,
            '--verbose',
            'promote',
            '--from',
            'dev',
            '--to',
            'uat',
            '--timeout',
            '2m',
          ],
          { env },
        ),
        'promote',
      );
      totals.push(g.ms);
      for (const m of g.stderr.matchAll(/✓ ([\w/-]+) \((\d+) ms\)/g))
        steps.set(m[1] as string, [...(steps.get(m[1] as string) ?? []), Number(m[2])]);
    }
    log(`promote total: median ${fmt(stats(totals).median)} (${totals.map(fmt).join(', ')})`);
    for (const [name, xs] of steps) log(`  step ${name}: median ${fmt(stats(xs).median)}`);
    const node = await must(run([process.execPath, '-e', '0']), 'node');
    const version = await must(run([process.execPath, CLI, '--version'], { env }), 'version');
    log(`node -e 0: ${fmt(node.ms)}; gitops-flow --version: ${fmt(version.ms)}`);
    if (hasStrace()) {
      const { clone } = repoWithRemote(envRepoFiles('kstrace', 'uat-0ms'));
      const out = join(state, 'strace.txt');
      await must(
        run(
          [
            'strace',
            '-f',
            '-tt',
            '-e',
            'trace=execve,exit_group',
            '-o',
            out,
            process.execPath,
            CLI,
            '-C',
            clone,
            'promote',
            '--from',
            'dev',
            '--to',
            'uat',
            '--timeout',
            '2m',
          ],
          { env },
        ),
        'promote under strace',
      );
      log('processes spawned (start, wall time, argv) under strace:');
      for (const l of spawned(readFileSync(out, 'utf8'))) log(`  ${l}`);
    }
  } finally {
    await cluster.stop();
    rmSync(state, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`breakdown failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
