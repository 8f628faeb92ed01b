/**
 * Runs the CLI in-process (integration tier) or as the built binary with a clean environment (e2e),
 * always with the pinned tools first on PATH and nothing from the developer's environment.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { inject } from 'vitest';
import { main } from '../../src/cli/main.js';
import { canaryEnv, recordOutput } from '../setup/canary.js';
import { REPO_ROOT, tempDir } from './git-fixtures.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A clean environment: the pinned tools, system git/tar, a private HOME, and `extra`. In canary mode
 * (test/setup/canary.ts) also every credential variable holding a canary, and the run's TMPDIR; a
 * test that sets a token variable itself (or passes it as undefined: absent) gets no token canaries.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = tempDir('gitops-flow-home-');
  return {
    PATH: `${inject('toolPath')}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    KUBECONFIG: join(home, 'no-kubeconfig'),
    ...canaryEnv(extra),
    ...extra,
  };
}

/**
 * Calls `main(argv)` with captured streams; `tty` makes both look like a terminal of that size
 * (isTTY, columns, rows), as a person's shell would be.
 */
export async function runCli(
  argv: string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv; tty?: { columns: number; rows: number } } = {},
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  if (o.tty) for (const s of [stdout, stderr]) Object.assign(s, { isTTY: true, ...o.tty });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  const code = await main(argv, { cwd: o.cwd ?? REPO_ROOT, env: o.env ?? cleanEnv(), stdout, stderr });
  const result = { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  recordOutput(argv, result.stdout, result.stderr);
  return result;
}

/** Runs the built `bin/gitops-flow.js` as a child process with exactly `env` (no inherited variables). */
export function runBinary(
  argv: string[],
  o: { cwd: string; env: NodeJS.ProcessEnv; onStderr?: (text: string) => void },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'gitops-flow.js'), ...argv], {
      cwd: o.cwd,
      env: o.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      o.onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      recordOutput(argv, stdout, stderr);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}
