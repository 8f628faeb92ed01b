/**
 * Where a verified promote with pods ready at once spends its time (`npx tsx bench/breakdown.ts` after `npm run build`, not
 * part of `npm run bench`): one local control plane (pods Ready at once), BREAKDOWN_RUNS promotes
 * with --verbose (each step's own ms) and, for the last one, every process spawned (strace -f, when
 * installed) with its wall time; then the bench's own measurement of each build and of the raw floor, alternating.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster } from '../src/cluster/cluster.js';
import { toolDir } from '../src/cluster/tools.js';
import { CLI, fmt, must, repoWithRemote, run, stats, tempDir } from './lib.js';
import { envRepoFiles, promoteOnce } from './promote.js';

const FLOOR = { label: 'floor', cli: undefined, variant: 'floor' as const };
const RUNS = Number(process.env.BREAKDOWN_RUNS ?? 5);
const log = (s: string) => process.stderr.write(`${s}\n`);
// Output piped into `head` that closes early must not end the run before its cluster is stopped.
process.stderr.on('error', () => undefined);

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
    // The CLI's own step lines (--verbose), so the processes sit between them.
    const said = /^write\(2, "(.*?)"/.exec(rest);
    if (said && /✓|\\342\\234\\223|Applying|Verifying/.test(said[1] ?? ''))
      out.push(`${((t - t0) * 1000).toFixed(0).padStart(5)} ms  >> ${(said[1] ?? '').slice(0, 70)}`);
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
    // BREAKDOWN_BASELINE_CLI: another build's bin (e.g. main's), run alternately for an A/B in one window.
    const clis: [string, string][] = [['this build', CLI]];
    if (process.env.BREAKDOWN_BASELINE_CLI) clis.push(['baseline', process.env.BREAKDOWN_BASELINE_CLI]);
    const steps = new Map<string, number[]>();
    const totals = new Map<string, number[]>();
    for (let r = 0; r < RUNS; r++) {
      for (const [label, cli] of r % 2 ? [...clis].reverse() : clis) {
        const { clone } = repoWithRemote(envRepoFiles(`k${r}${label[0]}`, 'uat-0ms'));
        const argv = ['-C', clone, '--verbose', 'promote', '--from', 'dev', '--to', 'uat', '--timeout', '2m'];
        const g = await must(run([process.execPath, cli, ...argv], { env }), 'promote');
        totals.set(label, [...(totals.get(label) ?? []), g.ms]);
        for (const m of g.stderr.matchAll(/✓ ([\w/-]+) \((\d+) ms\)/g)) {
          const key = `${label}: ${m[1]}`;
          steps.set(key, [...(steps.get(key) ?? []), Number(m[2])]);
        }
      }
    }
    for (const [label, xs] of totals)
      log(`promote total, ${label}: median ${fmt(stats(xs).median)} (${xs.map(fmt).join(', ')})`);
    // The bench's own measurement (no --verbose, a pod watch beside it), builds and the floor alternating.
    const sides = [...clis.map(([label, cli]) => ({ label, cli, variant: 'gitops-flow' as const })), FLOOR];
    const bench = new Map<string, number[]>();
    for (let r = 0; r < RUNS; r++) {
      for (const s of r % 2 ? [...sides].reverse() : sides) {
        const x = await promoteOnce(s.variant, 0, 'uat-0ms', env, `a${r}${s.label[0]}`, s.cli);
        bench.set(s.label, [...(bench.get(s.label) ?? []), x.ms]);
      }
    }
    const floor = stats(bench.get('floor') ?? []).median;
    for (const [label, xs] of bench)
      log(
        `as the bench measures it, ${label}: median ${fmt(stats(xs).median)} (${(stats(xs).median / floor).toFixed(2)}x the floor; ${xs.map(fmt).join(', ')})`,
      );
    for (const [name, xs] of steps) log(`  step ${name}: median ${fmt(stats(xs).median)}`);
    // One more run, each --verbose line stamped as it arrives: what happens outside the steps.
    {
      const { clone } = repoWithRemote(envRepoFiles('ktimeline', 'uat-0ms'));
      const argv = ['-C', clone, '--verbose', 'promote', '--from', 'dev', '--to', 'uat', '--timeout', '2m'];
      const t0 = performance.now();
      const lines: string[] = [];
      const child = spawn(process.execPath, [CLI, ...argv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let buf = '';
      child.stderr.on('data', (b: Buffer) => {
        const at = (performance.now() - t0).toFixed(0).padStart(5);
        buf += b.toString();
        const parts = buf.split('\n');
        buf = parts.pop() ?? '';
        for (const l of parts) lines.push(`${at} ms  ${l.slice(0, 100)}`);
      });
      await new Promise((r) => child.on('close', r));
      log(`timeline (exit at ${(performance.now() - t0).toFixed(0)} ms):`);
      for (const l of lines) log(`  ${l}`);
    }
    const node = await must(run([process.execPath, '-e', '0']), 'node');
    const version = await must(run([process.execPath, CLI, '--version'], { env }), 'version');
    log(`node -e 0: ${fmt(node.ms)}; gitops-flow --version: ${fmt(version.ms)}`);
    const profDir = process.env.BREAKDOWN_CPU_PROF;
    if (profDir) {
      const { clone } = repoWithRemote(envRepoFiles('kprof', 'uat-0ms'));
      const argv = ['-C', clone, 'promote', '--from', 'dev', '--to', 'uat', '--timeout', '2m'];
      await must(run([process.execPath, '--cpu-prof', '--cpu-prof-dir', profDir, CLI, ...argv], { env }), 'promote');
      log(`CPU profile in ${profDir}`);
    }
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
