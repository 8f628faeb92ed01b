/**
 * What the exec wrapper asks before it runs kubectl or kustomize: which binary (locate.ts's order),
 * said once per command with --verbose; a warning when a binary from GITOPS_FLOW_TOOLS_DIR or PATH is
 * not the version ci/tools.json pins (a cached one is, by its folder's name); TOOL_MISSING when there is
 * none, naming where it looked.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { GitopsError } from '../../core/errors.js';
import type { Logger } from '../../core/io.js';
import { type InstallTool, RUN_TOOLS, type RunTool, sameVersion } from '../../core/tools-manifest.js';
import { cachedToolDir, type LocatedTool, locateTool } from './locate.js';
import { VERSION_PROBES } from './version-probes.js';

const VERSION_TIMEOUT_MS = 30_000;

export function isRunTool(name: string): name is RunTool {
  return (RUN_TOOLS as readonly string[]).includes(name);
}

/** The version a binary reports, or why it could not be read. */
export function probeVersion(
  tool: InstallTool,
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<{ version?: string; error?: string }> {
  const probe = VERSION_PROBES[tool];
  return new Promise((resolve) => {
    execFile(file, probe.args, { env, timeout: VERSION_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      const version = err ? undefined : probe.parse(stdout);
      if (version) resolve({ version });
      else
        resolve({
          error: (stderr.trim().split('\n').at(-1) ?? '') || (err ? err.message : `no version in: ${stdout.trim()}`),
        });
    });
  });
}

/** Versions already read, by binary (path, size and mtime): each is run at most once per process. */
const versions = new Map<string, Promise<{ version?: string; error?: string }>>();
/** Loggers (one per command) already told about a tool. */
const told = new WeakMap<Logger, Set<string>>();

function cachedProbe(t: Required<Pick<LocatedTool, 'tool' | 'path'>>, env: NodeJS.ProcessEnv) {
  const s = statSync(t.path);
  const key = `${t.path}\0${s.size}\0${s.mtimeMs}`;
  let p = versions.get(key);
  if (!p) {
    p = probeVersion(t.tool, t.path, env);
    versions.set(key, p);
  }
  return p;
}

/** The TOOL_MISSING error for a tool found nowhere. */
export function toolMissing(tool: RunTool, pinned: string, env: NodeJS.ProcessEnv): GitopsError {
  const dirs = env.GITOPS_FLOW_TOOLS_DIR ? `GITOPS_FLOW_TOOLS_DIR (${env.GITOPS_FLOW_TOOLS_DIR}), ` : '';
  const cache = cachedToolDir(tool, pinned, env);
  return new GitopsError({
    code: 'TOOL_MISSING',
    message: `${tool} was not found: not in ${dirs}${cache ? `the tools cache (${cache})` : 'a tools cache (no HOME)'} nor on PATH.`,
    value: tool,
    remediation: `Run gitops-flow tools install (the pinned ${tool} ${pinned} into the tools cache, downloaded or built), then gitops-flow doctor.`,
  });
}

/**
 * Locates `tool` for a command about to run it and returns the binary's absolute path; throws
 * TOOL_MISSING when there is none. With --verbose, on the first use by this command's logger, says which
 * binary and which version, and warns when that is not the pinned one (doctor always checks).
 */
export async function useTool(tool: RunTool, o: { env: NodeJS.ProcessEnv; log: Logger }): Promise<string> {
  const t = locateTool(tool, o.env);
  if (!t.path || !t.source) throw toolMissing(tool, t.pinned, o.env);
  if (!o.log.verbose) return t.path;
  const seen = told.get(o.log) ?? new Set<string>();
  told.set(o.log, seen);
  if (seen.has(tool)) return t.path;
  seen.add(tool);
  if (t.source === 'tools cache') {
    o.log.debug(`${tool} ${t.pinned}: ${t.path} (${t.source})`);
    return t.path;
  }
  const v = await cachedProbe({ tool, path: t.path }, o.env);
  o.log.debug(`${tool} ${v.version ?? '(version unknown)'}: ${t.path} (${t.source})`);
  if (!v.version || !sameVersion(v.version, t.pinned))
    o.log.warn(
      `${tool} at ${t.path} (${t.source}) is ${v.version ?? `of an unknown version (${v.error})`}, not the pinned ${t.pinned} of ci/tools.json; \`gitops-flow tools install\` puts the pinned one in the tools cache, which comes before PATH.`,
    );
  return t.path;
}
