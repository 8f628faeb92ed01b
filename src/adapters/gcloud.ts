/** gcloud: only what GKE environments need. No GKE exists on development machines (stub-tested). */
import type { Logger } from '../core/io.js';
import { exec } from './exec.js';

export interface GkeCluster {
  project: string;
  location: string;
  cluster: string;
}

/**
 * Writes credentials for the GKE cluster into the kubeconfig and returns the context name gcloud
 * creates (`gke_<project>_<location>_<cluster>`).
 */
export async function getCredentials(
  c: GkeCluster,
  ctx: { env: NodeJS.ProcessEnv; log: Logger; cwd: string },
): Promise<string> {
  await exec(
    [
      'gcloud',
      'container',
      'clusters',
      'get-credentials',
      c.cluster,
      '--location',
      c.location,
      '--project',
      c.project,
      '--quiet',
    ],
    {
      cwd: ctx.cwd,
      env: { ...ctx.env, USE_GKE_GCLOUD_AUTH_PLUGIN: 'True' },
      log: ctx.log,
    },
  );
  return `gke_${c.project}_${c.location}_${c.cluster}`;
}
