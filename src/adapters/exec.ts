/**
 * The one exec wrapper for git, kustomize, kubectl and gcloud: argv arrays only (never a shell),
 * explicit cwd and env, `$ cmd` in verbose mode, mutations skipped in dry-run, one typed error.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { clampTimeout } from '../core/bounds.js';
import { GitopsError } from '../core/errors.js';
import type { Logger } from '../core/io.js';
import { ExecError } from './exec-error.js';
import { isRunTool, useTool } from './tools/check.js';

export interface ExecOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Data written to the child's stdin. */
  input?: string | Buffer;
  /** A mutation: skipped (and logged) in dry-run. */
  mutates?: boolean;
  dryRun?: boolean;
  /** Kill the child after this many ms. */
  timeoutMs?: number;
  /** Do not throw on a non-zero exit; the caller inspects `exitCode`. */
  allowFailure?: boolean;
  /** Write stdout to this stream instead of buffering it. */
  stdoutTo?: NodeJS.WritableStream;
  /** Also called with each line of stderr as it comes (progress of a long build). */
  onStderrLine?: (line: string) => void;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs `argv` and resolves with its output; throws ExecError on a non-zero exit. */
export function exec(argv: string[], opts: ExecOptions): Promise<ExecResult> {
  const shown = `$ ${argv.map(showArg).join(' ')}`;
  if (opts.mutates && opts.dryRun) {
    opts.log.info(`[dry-run] ${shown}`);
    return Promise.resolve({ stdout: '', stderr: '', exitCode: 0 });
  }
  const cmd = argv[0] as string;
  // kubectl and kustomize: the binary tool discovery picks (GITOPS_FLOW_TOOLS_DIR, the cache, PATH).
  if (isRunTool(cmd)) return useTool(cmd, opts).then((file) => spawnAndCollect(file, argv, opts));
  return spawnAndCollect(cmd, argv, opts);
}

/** Runs `file` with argv[1..] (argv as the caller wrote it, for messages). */
function spawnAndCollect(file: string, argv: string[], opts: ExecOptions): Promise<ExecResult> {
  const [cmd, ...args] = argv as [string, ...string[]];
  opts.log.debug(`$ ${argv.map(showArg).join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          killTree(child.pid);
        }, clampTimeout(opts.timeoutMs))
      : undefined;
    if (opts.stdoutTo) child.stdout.pipe(opts.stdoutTo);
    else child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    if (opts.onStderrLine) forEachLine(child.stderr, opts.onStderrLine);
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      if (e.code === 'ENOENT') {
        reject(
          new GitopsError({
            code: 'TOOL_MISSING',
            message: `${cmd} is not on PATH.`,
            value: cmd,
            remediation: `Install ${cmd} and put it on PATH, then run gitops-flow doctor.`,
          }),
        );
        return;
      }
      reject(new ExecError(argv, 127, e.message, ''));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8') + (timedOut ? `\n(killed after ${opts.timeoutMs} ms)` : '');
      const result = { stdout: Buffer.concat(out).toString('utf8'), stderr, exitCode: code ?? (signal ? 128 : 1) };
      if (result.stderr.trim()) opts.log.debug(indent(result.stderr));
      if (result.exitCode !== 0 && !opts.allowFailure)
        reject(new ExecError(argv, result.exitCode, result.stderr, result.stdout));
      else resolve(result);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Calls `onLine` with each complete line of a stream, and with the last one at its end. */
function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.on('data', (b: Buffer) => {
    const lines = (rest + b.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => rest && onLine(rest));
}

/**
 * Kills a process and every process below it (a script's own children would otherwise keep running
 * and keep its output open). Linux: the tree from /proc; elsewhere the process alone.
 */
function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  const parents = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    // No /proc: the process alone.
  }
  for (const entry of entries) {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone while we read.
    }
  }
  const tree: number[] = [];
  const walk = (p: number) => {
    tree.push(p);
    for (const c of parents.get(p) ?? []) walk(c);
  };
  walk(pid);
  for (const p of tree) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function showArg(a: string): string {
  return /^[\w./:=@,+-]+$/.test(a) ? a : JSON.stringify(a);
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
