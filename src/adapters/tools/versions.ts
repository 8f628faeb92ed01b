/** doctor's version check: runs a tool for its version through the exec wrapper (logged with --verbose). */
import type { Logger } from '../../core/io.js';
import { exec } from '../exec.js';
import { VERSION_PROBES, type VersionedTool } from './version-probes.js';

/** Runs the binary at `path` for its version: the version, or why it could not be read. */
export async function readVersion(
  tool: VersionedTool,
  path: string,
  o: { cwd: string; env: NodeJS.ProcessEnv; log: Logger; timeoutMs: number },
): Promise<{ version?: string; why: string }> {
  const r = await exec([path, ...VERSION_PROBES[tool].args], {
    cwd: o.cwd,
    env: o.env,
    log: o.log,
    allowFailure: true,
    timeoutMs: o.timeoutMs,
  }).catch((err: Error) => ({ stdout: '', stderr: err.message, exitCode: 127 }));
  const version = r.exitCode === 0 ? VERSION_PROBES[tool].parse(r.stdout) : undefined;
  return { ...(version && { version }), why: (r.stderr.trim().split('\n').at(-1) ?? '') || `exit ${r.exitCode}` };
}
