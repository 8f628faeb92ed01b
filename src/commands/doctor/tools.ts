/**
 * doctor's tool checks: git and gcloud on PATH; kubectl and kustomize where gitops-flow finds them
 * (GITOPS_FLOW_TOOLS_DIR, the tools cache, PATH), each with its path and version, compared with
 * ci/tools.json.
 */
import { findOnPath, locateTool, type ToolSource } from '../../adapters/tools/locate.js';
import { type VersionedTool, versionCommand } from '../../adapters/tools/version-probes.js';
import { readVersion } from '../../adapters/tools/versions.js';
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
  name: VersionedTool;
  required: boolean;
  /** The pinned version, or undefined when the manifest does not pin it (git). */
  want?: string;
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
  const { version, why } = await readVersion(t.name, path, { ...e, timeoutMs: VERSION_TIMEOUT_MS });
  if (!version) {
    return {
      name: t.name,
      ok: false,
      required: t.required,
      detail: `${path}${from}: cannot read its version (${versionCommand(t.name)}: ${why})`,
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
    { name: 'git', required: true },
    { name: 'kubectl', required: true, want: m.kubectl, discovered: true },
    { name: 'kustomize', required: true, want: m.kustomize, discovered: true },
    { name: 'gcloud', required: needGcloud, want: m.gcloud.version, optionalWhy: 'optional: no environment uses GKE' },
  ];
  const env = { ...e.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' };
  return Promise.all(specs.map((s) => checkTool(s, { ...e, env })));
}
