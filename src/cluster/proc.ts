// Process helpers for the e2e cluster harness: run a command and capture its
// output, start a detached daemon with its log and PID file, wait for
// readiness, and stop processes by PID. Node built-ins only.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export interface RunResult {
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly code: number | string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** Runs a command with an argv array (never a shell string) and returns its output. */
export function run(
  file: string,
  args: readonly string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
          reject(
            new CommandError(
              `${path.basename(file)} ${args.join(' ')} failed (${String(code)}): ${stderr.trim() || err.message}`,
              code,
              stdout,
              stderr,
            ),
          );
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Asks the OS for a free TCP port on 127.0.0.1 (bind port 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  server.close();
  await once(server, 'close');
  if (addr === null || typeof addr === 'string') throw new Error('could not allocate a free port');
  return addr.port;
}

/** Ports already handed out by this process (clusters started side by side). */
const issued = new Set<number>();

/**
 * Distinct free ports, never one handed out before by this process: the OS may
 * give a closed port again before the component it was meant for binds it.
 */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) {
    const port = await freePort();
    if (issued.has(port)) continue;
    issued.add(port);
    ports.push(port);
  }
  return ports;
}

export interface Daemon {
  component: string;
  pid: number;
  binary: string;
  logFile: string;
  pidFile: string;
}

/**
 * Starts a long-running component detached (own process group), stdout and
 * stderr appended to <dir>/logs/<component>.log, PID in <dir>/pids/<component>.pid.
 */
export async function startDaemon(
  dir: string,
  component: string,
  binary: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Daemon> {
  const logDir = path.join(dir, 'logs');
  const pidDir = path.join(dir, 'pids');
  await mkdir(logDir, { recursive: true });
  await mkdir(pidDir, { recursive: true });
  const logFile = path.join(logDir, `${component}.log`);
  const pidFile = path.join(pidDir, `${component}.pid`);
  const fd = openSync(logFile, 'a');
  try {
    writeFileSync(fd, `# ${new Date().toISOString()} ${binary} ${args.join(' ')}\n`);
    const child = spawn(binary, args, { cwd: dir, env, detached: true, stdio: ['ignore', fd, fd] });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new Error(`${component}: cannot start ${binary}: ${err.message}`)));
      child.once('spawn', () => resolve(child.pid as number));
    });
    child.unref();
    writeFileSync(pidFile, `${pid}\n`);
    return { component, pid, binary, logFile, pidFile };
  } finally {
    closeSync(fd);
  }
}

/** Last n lines of a log file ('' when missing). */
export function tailFile(file: string, n = 20): string {
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n).join('\n');
  } catch {
    return '';
  }
}

/** True while the PID names a live (not zombie) process. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // "pid (comm) S ..." - a zombie has exited and only waits to be reaped.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** argv[0] of a live PID, to avoid signalling a reused PID ('' if unknown). */
export function executable(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops processes by PID: SIGTERM, then SIGKILL after graceMs, and waits until
 * each is gone. When `binary` is given, a PID whose argv[0] does not end with it
 * (a reused PID) is left alone.
 */
export async function stopPids(
  procs: readonly { pid: number; binary?: string; component?: string }[],
  graceMs = 10_000,
): Promise<void> {
  const targets = procs.filter((p) => {
    if (!isAlive(p.pid)) return false;
    if (p.binary && !executable(p.pid).endsWith(p.binary)) return false;
    return true;
  });
  for (const p of targets) signal(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (targets.some((p) => isAlive(p.pid)) && Date.now() < deadline) await sleep(100);
  const stubborn = targets.filter((p) => isAlive(p.pid));
  for (const p of stubborn) signal(p.pid, 'SIGKILL');
  const killDeadline = Date.now() + 10_000;
  while (stubborn.some((p) => isAlive(p.pid))) {
    if (Date.now() > killDeadline) {
      const left = stubborn.filter((p) => isAlive(p.pid)).map((p) => `${p.component ?? '?'}(${p.pid})`);
      throw new Error(`processes still running after SIGKILL: ${left.join(', ')}`);
    }
    await sleep(100);
  }
}

function signal(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Reads a PID file; undefined when missing or malformed. */
export async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(file, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Polls `check` until it returns true or throws nothing, up to timeoutMs. On
 * timeout (or when the daemon died) throws an Error naming the component with
 * the last 20 lines of its log.
 */
export async function waitFor(
  what: string,
  daemon: Daemon | undefined,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastErr = err instanceof Error ? err.message : String(err);
    }
    const died = daemon !== undefined && !isAlive(daemon.pid);
    if (died || Date.now() > deadline) {
      const who = daemon ? daemon.component : what;
      const reason = died ? `exited before ${what}` : `timed out after ${timeoutMs} ms waiting for ${what}`;
      const log = daemon ? `\n--- last 20 lines of ${daemon.logFile} ---\n${tailFile(daemon.logFile, 20)}` : '';
      throw new Error(`${who}: ${reason}${lastErr ? ` (last error: ${lastErr})` : ''}${log}`);
    }
    await sleep(intervalMs);
  }
}
