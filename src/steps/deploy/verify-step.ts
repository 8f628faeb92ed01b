/**
 * The verify step's body: connect to the env's cluster through the API and verify every object of a
 * rendered manifest (src/steps/deploy/verify-render.ts), with the env's rules, skips and fail-fast.
 */

import { connectKube, type KubeApi } from '../../adapters/kube-api.js';
import type { ClusterTarget } from '../../adapters/kubectl.js';
import type { Environment } from '../../core/config.js';
import type { CommandContext } from '../../core/io.js';
import { objectsOf } from '../../core/workloads.js';
import { createReporter } from './report.js';
import { type VerifyResult, verifyRender } from './verify-render.js';

/** Verifies the objects of `manifest` on the env's cluster within `timeoutMs`. */
export async function verifyObjects(
  manifest: Record<string, unknown>[],
  env: Environment,
  timeoutMs: number,
  target: ClusterTarget,
  ctx: CommandContext,
  connection?: Promise<KubeApi>,
): Promise<VerifyResult> {
  const refs = objectsOf(manifest).filter((r) => r.kind && r.name);
  let api: KubeApi;
  try {
    api = await (connection ?? connectKube(target, ctx.io.env));
  } catch (e) {
    return {
      ok: false,
      problems: [`could not reach the cluster through its API: ${(e as Error).message}`],
      unreachable: true,
      verified: 0,
      connections: 0,
    };
  }
  const ff = env.verify?.failFast;
  try {
    const title = `Verifying ${refs.length} object(s) of ${env.name} on ${target.context ?? 'the current context'}`;
    const result = await verifyRender(
      api,
      refs,
      {
        timeoutMs,
        failFast: ff !== false,
        ...(ff && { failFastOptions: { restarts: ff.restarts, unschedulableMs: ff.unschedulableMs } }),
        ...(env.verify?.rules.length && { rules: env.verify.rules }),
        ...(env.verify?.skip.length && { skip: env.verify.skip }),
        ...(env.workloads && { only: env.workloads }),
      },
      createReporter(ctx, title, { json: env.verify?.events === 'json' }),
    );
    ctx.log.debug(`verified ${result.verified} object(s) over ${result.connections} watch connection(s)`);
    return result;
  } finally {
    // A shared connection is closed by the deploy that opened it.
    if (!connection) api.close();
  }
}

/**
 * Starts connecting (loading the client library, reading the kubeconfig) so it overlaps the apply,
 * which runs in a kubectl process; the promise never rejects unhandled.
 */
export function connectEarly(target: ClusterTarget, ctx: CommandContext): Promise<KubeApi> {
  const p = connectKube(target, ctx.io.env);
  p.catch(() => undefined);
  return p;
}
