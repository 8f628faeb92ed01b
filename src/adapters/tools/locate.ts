/**
 * Where gitops-flow finds kubectl and kustomize, in this order: the folder named by
 * GITOPS_FLOW_TOOLS_DIR, then the pinned versions in the tools cache
 * (`${GITOPS_FLOW_CACHE:-~/.cache/gitops-flow}/bin/<tool>-<version>/`, filled by `gitops-flow tools
 * install` or ci/tools/build.sh), then PATH. Only looks at files: running a binary is check.ts's job.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { packageFile } from '../../core/package-root.js';
import {
  type InstallTool,
  parseToolsManifest,
  pinnedVersion,
  RUN_TOOLS,
  type ToolsManifest,
  toolDirName,
} from '../../core/tools-manifest.js';

export type ToolSource = 'GITOPS_FLOW_TOOLS_DIR' | 'tools cache' | 'PATH';

export interface LocatedTool {
  tool: InstallTool;
  /** The version ci/tools.json pins. */
  pinned: string;
  /** Absolute path of the binary gitops-flow runs; undefined when none was found. */
  path?: string;
  source?: ToolSource;
}

let manifest: ToolsManifest | undefined;

/** ci/tools.json of the installed package, read once per process. */
export function packageManifest(): ToolsManifest {
  const file = packageFile('ci/tools.json');
  manifest ??= parseToolsManifest(readFileSync(file, 'utf8'), file);
  return manifest;
}

/**
 * The tools cache: GITOPS_FLOW_CACHE, else $HOME/.cache/gitops-flow, both read from `env` (the one
 * input: a caller that passes neither, e.g. a test with a bare env, has no cache).
 */
export function toolsCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GITOPS_FLOW_CACHE) return env.GITOPS_FLOW_CACHE;
  return env.HOME ? join(env.HOME, '.cache', 'gitops-flow') : undefined;
}

/** The cache folder of a pinned tool (it may not exist yet); undefined without a cache. */
export function cachedToolDir(tool: string, pinned: string, env: NodeJS.ProcessEnv): string | undefined {
  const cache = toolsCacheDir(env);
  return cache && join(cache, 'bin', toolDirName(tool, pinned));
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable `name` on the PATH of `env`, as spawn would find it. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const file = join(dir, name);
    if (executable(file)) return file;
  }
  return undefined;
}

/** Finds one tool: GITOPS_FLOW_TOOLS_DIR, the pinned version in the cache, PATH. */
export function locateTool(
  tool: InstallTool,
  env: NodeJS.ProcessEnv,
  m: ToolsManifest = packageManifest(),
): LocatedTool {
  const pinned = pinnedVersion(m, tool) ?? '';
  const explicit = env.GITOPS_FLOW_TOOLS_DIR;
  if (explicit && executable(join(explicit, tool)))
    return { tool, pinned, path: join(explicit, tool), source: 'GITOPS_FLOW_TOOLS_DIR' };
  const dir = cachedToolDir(tool, pinned, env);
  const cached = dir && join(dir, tool);
  if (cached && executable(cached)) return { tool, pinned, path: cached, source: 'tools cache' };
  const onPath = findOnPath(tool, env);
  return onPath ? { tool, pinned, path: onPath, source: 'PATH' } : { tool, pinned };
}

/**
 * `env` with the folders of the tools found in GITOPS_FLOW_TOOLS_DIR or the cache first on PATH, so
 * every child (kustomize, kubectl, and a pipeline's own `run:` steps) runs the binaries located here.
 * Idempotent: locating again in the result finds the same binaries.
 */
export function withPinnedTools(env: NodeJS.ProcessEnv, m: ToolsManifest = packageManifest()): NodeJS.ProcessEnv {
  const dirs: string[] = [];
  for (const tool of RUN_TOOLS) {
    const t = locateTool(tool, env, m);
    if (t.path && t.source !== 'PATH') {
      const dir = t.path.slice(0, -(tool.length + 1));
      if (!dirs.includes(dir)) dirs.push(dir);
    }
  }
  // helm, when pinned and present (kustomize runs it for an env with build.enableHelm): optional.
  if (m.helm) {
    const explicit = env.GITOPS_FLOW_TOOLS_DIR;
    const cached = cachedToolDir('helm', m.helm, env);
    const dir = [explicit, cached].find((d) => d && executable(join(d, 'helm')));
    if (dir && !dirs.includes(dir)) dirs.push(dir);
  }
  const current = (env.PATH ?? '').split(delimiter);
  if (dirs.every((d, i) => current[i] === d)) return env;
  return { ...env, PATH: [...dirs, ...(env.PATH ? [env.PATH] : [])].join(delimiter) };
}
