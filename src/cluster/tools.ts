// Locates the pinned tool binaries built by ci/tools/build.sh (which builds a
// tool on first use, several side by side; its progress goes to our stderr).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BUILD_SCRIPT = path.join(REPO_ROOT, 'ci', 'tools', 'build.sh');

export interface ToolsManifest {
  kubernetes: string;
  kubectl: string;
  kustomize: string;
  kwok: string;
  etcd: string;
  [key: string]: unknown;
}

export function readToolsManifest(): ToolsManifest {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'ci', 'tools.json'), 'utf8')) as ToolsManifest;
}

// helm: only for envs with build.enableHelm (built when a test or the demo asks for it, not by default).
export type ToolName = 'kubernetes' | 'kubectl' | 'kustomize' | 'kwok' | 'etcd' | 'helm';

/** Builds the tools the cache lacks, side by side: `bash ci/tools/build.sh <tool...>`. */
export function buildTools(tools: readonly ToolName[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT, ...tools], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`ci/tools/build.sh ${tools.join(' ')} failed (exit ${String(code)}); see its output above`)),
    );
  });
}

/** The bin directory of a tool: `bash ci/tools/build.sh --print-dir <tool>`. */
export function toolDir(tool: ToolName): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT, '--print-dir', tool], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('close', (code) => {
      const dir = out.trim();
      if (code === 0 && dir) resolve(dir);
      else
        reject(new Error(`ci/tools/build.sh --print-dir ${tool} failed (exit ${String(code)}); see its output above`));
    });
  });
}

export interface ClusterBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  kwok: string;
}

let cached: Promise<ClusterBinaries> | undefined;

/** Paths of every binary a cluster needs; builds the missing tools side by side. */
export function clusterBinaries(): Promise<ClusterBinaries> {
  cached ??= (async () => {
    await buildTools(['kubectl', 'kubernetes', 'etcd', 'kwok']);
    const kubectl = await toolDir('kubectl');
    const kubernetes = await toolDir('kubernetes');
    const etcd = await toolDir('etcd');
    const kwok = await toolDir('kwok');
    return {
      etcd: path.join(etcd, 'etcd'),
      kubeApiserver: path.join(kubernetes, 'kube-apiserver'),
      kubeControllerManager: path.join(kubernetes, 'kube-controller-manager'),
      kubeScheduler: path.join(kubernetes, 'kube-scheduler'),
      kubectl: path.join(kubectl, 'kubectl'),
      kwok: path.join(kwok, 'kwok'),
    };
  })();
  cached.catch(() => (cached = undefined));
  return cached;
}
