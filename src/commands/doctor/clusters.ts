/** doctor's cluster checks: can kubectl reach each environment's cluster (`get --raw /readyz`)? */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { clusterReady } from '../../adapters/kubectl.js';
import type { Environment } from '../../core/config.js';
import type { Check, ToolEnv } from './tools.js';

const REQUEST_TIMEOUT = '5s';
const KILL_AFTER_MS = 15_000;

/** Why no kubeconfig is usable, or undefined when one is (KUBECONFIG's files, else ~/.kube/config). */
export function noKubeconfig(env: NodeJS.ProcessEnv): string | undefined {
  if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter(Boolean);
    return files.some((f) => existsSync(f))
      ? undefined
      : `KUBECONFIG names no existing file (${files.join(delimiter)})`;
  }
  const home = env.HOME ? join(env.HOME, '.kube', 'config') : undefined;
  return home && existsSync(home) ? undefined : 'no kubeconfig: KUBECONFIG is unset and ~/.kube/config does not exist';
}

/** The kubeconfig context an environment uses: its `cluster.context`, gcloud's name for GKE, or the current one. */
function contextOf(env: Environment): string | undefined {
  if (env.context) return env.context;
  if (env.gke) return `gke_${env.gke.project}_${env.gke.location}_${env.gke.cluster}`;
  return undefined;
}

/** One row per environment; rows are skipped (saying why) when kubectl or a kubeconfig is missing. */
export async function checkClusters(
  envs: Environment[],
  kubectlPath: string | undefined,
  e: ToolEnv,
): Promise<Check[]> {
  const skipWhy = kubectlPath ? noKubeconfig(e.env) : 'kubectl is missing';
  return Promise.all(
    envs.map(async (env): Promise<Check> => {
      const name = `cluster ${env.name}`;
      const context = contextOf(env);
      const shown = context ? `context ${context}` : 'the current context';
      if (skipWhy || !kubectlPath) return { name, ok: null, required: false, detail: `skipped: ${skipWhy}`, fix: null };
      const r = await clusterReady(kubectlPath, context, {
        cwd: e.cwd,
        env: e.env,
        log: e.log,
        requestTimeout: REQUEST_TIMEOUT,
        timeoutMs: KILL_AFTER_MS,
      });
      if (r.ok) return { name, ok: true, required: false, detail: `reachable (${shown})`, fix: null };
      const fix = env.gke
        ? `Fetch credentials: gcloud container clusters get-credentials ${env.gke.cluster} --location ${env.gke.location} --project ${env.gke.project}; then check network access to the cluster.`
        : `Check that ${shown} exists (kubectl config get-contexts) and that the cluster is reachable from here.`;
      return { name, ok: false, required: false, detail: `unreachable (${shown}): ${r.why}`, fix };
    }),
  );
}
