/** Small helpers for the benchmarks: timing, statistics, processes, generated env repos. */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = join(ROOT, 'bin', 'gitops-flow.js');
const RSS_HOOK = join(ROOT, 'bench', 'rss-hook.mjs');

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { median, min: s[0] ?? 0, max: s.at(-1) ?? 0, runs: s.length };
}

export const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
export const spread = (s: Stats) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak RSS in KB, for node processes started with the RSS hook. */
  maxRssKb?: number;
}

/** Runs argv, timing it; never a shell. */
export function run(
  argv: string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<RunResult> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: o.cwd,
      env: o.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - start;
      const m = /^gitops-flow-bench-maxrss=(\d+)$/m.exec(stderr);
      resolve({ code: code ?? 1, stdout, stderr, ms, ...(m && { maxRssKb: Number(m[1]) }) });
    });
    child.stdin.end(o.input ?? '');
  });
}

/** The gitops-flow CLI as a user runs it (the built bin), optionally measuring its peak RSS. */
export function gitopsFlow(
  args: string[],
  o: { cwd?: string; env: NodeJS.ProcessEnv; rss?: boolean; cli?: string },
): Promise<RunResult> {
  return run([process.execPath, ...(o.rss ? ['--import', RSS_HOOK] : []), o.cli ?? CLI, ...args], o);
}

export async function must(r: Promise<RunResult>, what: string): Promise<RunResult> {
  const res = await r;
  if (res.code !== 0) throw new Error(`${what} failed (exit ${res.code}):\n${res.stderr.slice(-2000)}`);
  return res;
}

export function git(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    input,
    maxBuffer: 1 << 28,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'bench@example.com',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'bench@example.com',
    },
  }).trim();
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
}

/** A repo on main with `files`, its bare remote, and a working clone of it. */
export function repoWithRemote(files: Record<string, string>): { remote: string; clone: string } {
  const base = tempDir('gitops-flow-bench-');
  const seed = join(base, 'seed');
  mkdirSync(seed);
  git(seed, ['init', '--quiet', '--initial-branch=main']);
  writeFiles(seed, files);
  git(seed, ['add', '-A']);
  git(seed, ['commit', '--quiet', '-m', 'initial']);
  const remote = join(base, 'env.git');
  git(base, ['clone', '--quiet', '--bare', seed, remote]);
  const clone = join(base, 'env');
  git(base, ['clone', '--quiet', remote, clone]);
  git(clone, ['config', 'user.name', 'Bench']);
  git(clone, ['config', 'user.email', 'bench@example.com']);
  return { remote, clone };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
