/** doctor's tool checks: each tool found on PATH, and its version compared with ci/tools.json. */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { exec } from '../../adapters/exec.js';
import type { Logger } from '../../core/io.js';
import type { ToolsManifest } from './manifest.js';

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

/** The first executable `name` on the PATH of `env`, as the exec wrapper (spawn) would find it. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

interface ToolSpec {
  name: string;
  required: boolean;
  /** The pinned version, or undefined when the manifest does not pin it (git). */
  want?: string;
  argv: string[];
  parse(stdout: string): string | undefined;
  /** Why the tool is optional, shown when it is. */
  optionalWhy?: string;
}

const INSTALL_HINT =
  'the gitops-flow Dagger toolbox has it; from a gitops-flow checkout `bash ci/tools/build.sh <tool>` builds it';

/** Checks one tool: present on PATH, and (when pinned) exactly the pinned version. */
async function checkTool(t: ToolSpec, e: ToolEnv): Promise<Check> {
  const path = findOnPath(t.name, e.env);
  const pinned = t.want ? `pinned ${t.want}` : 'not pinned';
  const install = t.want
    ? `Install ${t.name} ${t.want} and put it first on PATH (${INSTALL_HINT.replace('<tool>', t.name)}).`
    : `Install ${t.name} and put it on PATH.`;
  if (!path) {
    if (!t.required)
      return {
        name: t.name,
        ok: null,
        required: false,
        detail: `not found on PATH (${t.optionalWhy ?? 'optional'})`,
        fix: null,
      };
    return { name: t.name, ok: false, required: t.required, detail: `not found on PATH (${pinned})`, fix: install };
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
      detail: `${path}: cannot read its version (${t.argv.join(' ')}: ${why})`,
      fix: install,
    };
  }
  if (t.want && normalize(version) !== normalize(t.want)) {
    return { name: t.name, ok: false, required: t.required, detail: `${version} at ${path}, ${pinned}`, fix: install };
  }
  return { name: t.name, ok: true, required: t.required, detail: `${version} (${path})`, fix: null };
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
