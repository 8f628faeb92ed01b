/**
 * doctor's tool checks: git and gcloud on PATH; kubectl and kustomize where gitops-flow finds them
 * (GITOPS_FLOW_TOOLS_DIR, the tools cache, PATH), each with its path and version, compared with
 * ci/tools.json.
 */
import { exec } from '../../adapters/exec.js';
import { findOnPath, locateTool, type ToolSource } from '../../adapters/tools/locate.js';
import type { Logger } from '../../core/io.js';
import type { ToolsManifest } from '../../core/tools-manifest.js';

export { findOnPath };

export interface Check {
  name: string;
  /** null: skipped (the detail says why). */
  ok: boolean | null;
  /** A failed required check makes doctor exit 1. */
  required: boolean;
  detail: string;
  /** What to do about a failure; null when ok or skipped. */
  fix: string | null;
}

export interface ToolEnv {
  env: NodeJS.ProcessEnv;
  cwd: string;
  log: Logger;
}

const VERSION_TIMEOUT_MS = 30_000;

interface ToolSpec {
  name: string;
  required: boolean;
  /** The pinned version, or undefined when the manifest does not pin it (git). */
  want?: string;
  argv: string[];
  parse(stdout: string): string | undefined;
  /** Why the tool is optional, shown when it is. */
  optionalWhy?: string;
  /** kubectl and kustomize: found by tool discovery, not only on PATH. */
  discovered?: boolean;
}

const SOURCE_NAMES: Record<ToolSource, string> = {
  GITOPS_FLOW_TOOLS_DIR: 'from GITOPS_FLOW_TOOLS_DIR',
  'tools cache': 'from the tools cache',
  PATH: 'from PATH',
};

/** Checks one tool: present, and (when pinned) exactly the pinned version. */
async function checkTool(t: ToolSpec, e: ToolEnv): Promise<Check> {
  const located = t.discovered ? locateTool(t.name as 'kubectl' | 'kustomize', e.env) : undefined;
  const path = located ? located.path : findOnPath(t.name, e.env);
  const from = located?.source ? `, ${SOURCE_NAMES[located.source]}` : '';
  const pinned = t.want ? `pinned ${t.want}` : 'not pinned';
  const install = !t.want
    ? `Install ${t.name} and put it on PATH.`
    : t.discovered
      ? `Run \`gitops-flow tools install ${t.name}\` (the pinned ${t.name} into the tools cache, which gitops-flow uses before PATH). Or: Install ${t.name} ${t.want} and put it first on PATH.`
      : `Install ${t.name} ${t.want} and put it first on PATH (the gitops-flow Dagger toolbox has it).`;
  if (!path) {
    const where = t.discovered ? 'not found in GITOPS_FLOW_TOOLS_DIR, the tools cache or on PATH' : 'not found on PATH';
    if (!t.required)
      return {
        name: t.name,
        ok: null,
        required: false,
        detail: `${where} (${t.optionalWhy ?? 'optional'})`,
        fix: null,
      };
    return { name: t.name, ok: false, required: t.required, detail: `${where} (${pinned})`, fix: install };
  }
  const r = await exec([path, ...t.argv.slice(1)], {
    cwd: e.cwd,
    env: e.env,
    log: e.log,
    allowFailure: true,
    timeoutMs: VERSION_TIMEOUT_MS,
  }).catch((err: Error) => ({ stdout: '', stderr: err.message, exitCode: 127 }));
  const version = r.exitCode === 0 ? t.parse(r.stdout) : undefined;
  if (!version) {
    const why = (r.stderr.trim().split('\n').at(-1) ?? '') || `exit ${r.exitCode}`;
    return {
      name: t.name,
      ok: false,
      required: t.required,
      detail: `${path}${from}: cannot read its version (${t.argv.join(' ')}: ${why})`,
      fix: install,
    };
  }
  if (t.want && normalize(version) !== normalize(t.want)) {
    return {
      name: t.name,
      ok: false,
      required: t.required,
      detail: `${version} at ${path}${from}, ${pinned}`,
      fix: install,
    };
  }
  return { name: t.name, ok: true, required: t.required, detail: `${version} (${path}${from})`, fix: null };
}

const normalize = (v: string) => v.replace(/^v/, '');

/** git, kubectl, kustomize and gcloud; gcloud is required only when an environment uses GKE. */
export function checkTools(m: ToolsManifest, needGcloud: boolean, e: ToolEnv): Promise<Check[]> {
  const specs: ToolSpec[] = [
    { name: 'git', required: true, argv: ['git', '--version'], parse: (s) => /git version (\S+)/.exec(s)?.[1] },
    {
      name: 'kubectl',
      required: true,
      want: m.kubectl,
      discovered: true,
      argv: ['kubectl', 'version', '--client', '-o', 'json'],
      parse: (s) => {
        try {
          return (JSON.parse(s) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion;
        } catch {
          return undefined;
        }
      },
    },
    {
      name: 'kustomize',
      required: true,
      want: m.kustomize,
      discovered: true,
      argv: ['kustomize', 'version'],
      parse: (s) => /v\d+\.\d+\.\d+\S*/.exec(s)?.[0],
    },
    {
      name: 'gcloud',
      required: needGcloud,
      want: m.gcloud.version,
      argv: ['gcloud', 'version', '--format=json'],
      parse: (s) => {
        try {
          return (JSON.parse(s) as Record<string, string | undefined>)['Google Cloud SDK'];
        } catch {
          return undefined;
        }
      },
      optionalWhy: 'optional: no environment uses GKE',
    },
  ];
  const env = { ...e.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' };
  return Promise.all(specs.map((s) => checkTool(s, { ...e, env })));
}
