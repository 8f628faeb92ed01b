/**
 * The prune step around a deploy: widen the env's inventory with what is being applied (before the
 * verification, so a restore knows it), then — once the render is verified, or restored — delete what
 * the inventory has and the render has not, and narrow the inventory to the render. A prune that
 * fails is a warning: the inventory keeps the objects, and the next deploy tries again.
 */

import { connectKube, type KubeApi } from '../../adapters/kube-api.js';
import type { ClusterTarget } from '../../adapters/kubectl.js';
import type { Environment } from '../../core/config.js';
import type { CommandContext } from '../../core/io.js';
import { describeRef, type ObjectRef, objectsOf } from '../../core/workloads.js';
import {
  deleteObjects,
  inventoryId,
  inventoryLocation,
  normalize,
  otherClaims,
  readInventory,
  toPrune,
  writeInventory,
} from './prune.js';

/** What the inventory said before this deploy, and where it lives. */
export interface Tracked {
  at: { namespace: string; name: string };
  /** undefined: this env had no inventory yet (first deploy with prune, or an empty cluster). */
  before?: ObjectRef[];
  render: ObjectRef[];
  /** What the inventory holds now. */
  stored: ObjectRef[];
}

/** Runs `f` on the deploy's connection when there is one (its owner closes it), else on a new one. */
async function withApi<T>(
  target: ClusterTarget,
  ctx: CommandContext,
  f: (api: KubeApi) => Promise<T>,
  shared?: Promise<KubeApi>,
): Promise<T> {
  if (shared) return f(await shared);
  const api = await connectKube(target, ctx.io.env);
  try {
    return await f(api);
  } finally {
    api.close();
  }
}

const idOf = (r: ObjectRef) =>
  `${r.apiVersion.split('/').slice(0, -1).join('/')}/${r.kind}/${r.namespace ?? ''}/${r.name}`;

/** Does `list` hold every object of `refs` (any version of its group)? */
function covers(list: ObjectRef[], refs: ObjectRef[]): boolean {
  const have = new Set(list.map(idOf));
  return refs.every((r) => have.has(idOf(r)));
}

function refsOf(manifest: Record<string, unknown>[]): ObjectRef[] {
  return objectsOf(manifest).filter((r) => r.kind && r.name);
}

/** The env's inventory as it was before the apply, read while kubectl applies (one connection). */
export interface Prefetched {
  at: { namespace: string; name: string };
  render: ObjectRef[];
  before?: ObjectRef[];
}

/** Starts reading the inventory (and discovering the render's kinds); never rejects. */
export function prefetchInventory(
  manifest: Record<string, unknown>[],
  env: Environment,
  target: ClusterTarget,
  ctx: CommandContext,
  shared?: Promise<KubeApi>,
): Promise<Prefetched | Error | undefined> {
  if (env.prune === false) return Promise.resolve(undefined);
  return withApi(
    target,
    ctx,
    async (api) => {
      const render = await normalize(api, refsOf(manifest));
      const at = inventoryLocation(env, render, api);
      const before = await readInventory(api, at);
      return { at, render, ...(before && { before }) };
    },
    shared,
  ).catch((e: Error) => e);
}

/** Adds the render's objects to the env's inventory (after the apply, before the verification). */
export async function trackApplied(
  pre: Promise<Prefetched | Error | undefined>,
  env: Environment,
  target: ClusterTarget,
  ctx: CommandContext,
  shared?: Promise<KubeApi>,
): Promise<Tracked | undefined> {
  const p = await pre;
  try {
    if (p instanceof Error) throw p;
    if (!p) return undefined;
    // The common release changes images, not the set of objects: nothing to record then.
    if (p.before && covers(p.before, p.render)) return { ...p, stored: p.before };
    const stored = [...(p.before ?? []), ...p.render];
    await withApi(target, ctx, (api) => writeInventory(api, p.at, env.name, stored), shared);
    return { ...p, stored };
  } catch (e) {
    ctx.log.warn(
      `prune: could not record what was applied (${(e as Error).message}); nothing will be pruned this time`,
    );
    return undefined;
  }
}

/** Deletes what the inventory has and the render has not; the inventory becomes the render. */
export async function pruneToRender(
  t: Tracked,
  env: Environment,
  target: ClusterTarget,
  ctx: CommandContext,
  shared?: Promise<KubeApi>,
): Promise<string[]> {
  const { prune, kept } = toPrune(t.stored, t.render, env);
  // Kept Namespaces and CRDs stay in the inventory, so a later config change can still prune them.
  const next = [...t.render, ...kept];
  if (prune.length === 0 && covers(next, t.stored) && covers(t.stored, next)) return [];
  try {
    return await withApi(
      target,
      ctx,
      async (api) => {
        const lines: string[] = [];
        if (prune.length > 0) {
          ctx.log.info(`Pruning ${prune.length} object(s) no longer in the render of ${env.name}`);
          for (const r of await deleteObjects(api, prune, await otherClaims(api, t.at))) {
            const line = `${r.outcome === 'deleted' ? 'pruned' : 'not pruned'} ${describeRef(r.ref)}${r.outcome === 'deleted' ? '' : ` (${r.outcome})`}`;
            ctx.log.info(`  ${line}`);
            lines.push(line);
          }
        }
        for (const r of kept)
          ctx.log.info(`  kept ${describeRef(r)} (not pruned: see prune.namespaces / prune.customResourceDefinitions)`);
        await writeInventory(api, t.at, env.name, next);
        return lines;
      },
      shared,
    );
  } catch (e) {
    ctx.log.warn(`prune: ${(e as Error).message}; the inventory keeps the objects, the next deploy tries again`);
    return [];
  }
}

/** What a deploy of `manifest` would prune (dry-run, diff --cluster); [] when nothing or no inventory. */
export async function wouldPrune(
  manifest: Record<string, unknown>[],
  env: Environment,
  target: ClusterTarget,
  ctx: CommandContext,
): Promise<ObjectRef[]> {
  if (env.prune === false) return [];
  return withApi(target, ctx, async (api) => {
    const render = await normalize(api, refsOf(manifest));
    const at = inventoryLocation(env, render, api);
    const inventory = await readInventory(api, at);
    if (!inventory) return [];
    const { prune } = toPrune(inventory, render, env);
    // What another env's inventory holds is kept (as the deploy would keep it).
    const claims = prune.length ? await otherClaims(api, at) : new Map<string, string>();
    return prune.filter((r) => !claims.has(inventoryId(r)));
  });
}

/** Dry-run: names what a deploy would prune (an unreachable cluster or no inventory: nothing to say). */
export async function listPrune(
  objects: Record<string, unknown>[],
  env: Environment,
  target: ClusterTarget,
  ctx: CommandContext,
): Promise<void> {
  try {
    const gone = await wouldPrune(objects, env, target, ctx);
    for (const r of gone) ctx.log.info(`  would prune ${describeRef(r)}`);
  } catch (e) {
    ctx.log.debug(`prune: could not read the inventory (${(e as Error).message})`);
  }
}
