/**
 * The built-in steps a pipeline of gitops-flow.yaml may `uses:` on their own: render, deploy,
 * restore-last-good, promote and rollback. Each delegates to its verb, so a step does exactly what the
 * command does; their outputs are strings, as every output of a pipeline.
 */
import type { ResolvedConfig } from '../../core/config.js';
import { getEnvironment } from '../../core/config.js';
import { GitopsError, invalid, quote } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import type { Applied } from '../../steps/deploy/release.js';
import { renderEnv, renderPath, restoreLastGood, restoreReason, writeRender } from '../../steps/deploy/release.js';
import type { RunState } from '../../steps/engine/engine.js';
import type { UsesRunner } from '../../steps/engine/resolve.js';

/** A boolean input of a built-in: 'true' or 'false' (after interpolation everything is text). */
function flag(inputs: Record<string, string>, name: string, step: string, fallback: boolean): boolean {
  const v = inputs[name];
  if (v === undefined || v === '') return fallback;
  if (v === 'true' || v === 'false') return v === 'true';
  throw invalid(
    'INPUT_INVALID',
    `Input ${name} of ${step} must be 'true' or 'false', got ${quote(v)}.`,
    `Set with.${name} to true or false.`,
    v,
  );
}

const text = (v: string | undefined) => (v === '' ? undefined : v);

/**
 * The runner for one pipeline run. It remembers what the last `deploy` step applied, so that
 * `restore-last-good` (with `if: failure()`) can put the cluster back when a later step fails.
 */
export function builtinSteps(root: string, config: ResolvedConfig, ctx: CommandContext): UsesRunner {
  // Nested verbs print their human lines; their own --json documents would interleave with ours.
  const quiet: CommandContext = { ...ctx, opts: { ...ctx.opts, json: false } };
  let lastDeploy: Applied | undefined;
  return async (uses, w, state: RunState): ReturnType<UsesRunner> => {
    switch (uses) {
      case 'render': {
        const env = getEnvironment(config, w.env as string);
        const manifest = await renderEnv({ root, env, ...(text(w.ref) && { ref: w.ref }) }, ctx);
        const path = renderPath(root, env.name);
        await writeRender(path, manifest);
        return { result: 'succeeded', outputs: { manifest: path } };
      }
      case 'deploy': {
        const { deploy } = await import('../deploy/index.js');
        const r = await deploy(
          {
            repoDir: root,
            env: w.env as string,
            ...(text(w.ref) && { ref: w.ref }),
            ...(text(w.timeout) && { timeout: w.timeout }),
          },
          quiet,
        );
        lastDeploy = r.applied;
        return {
          result: 'succeeded',
          outputs: { commit: r.commit, manifest: r.manifest, workloads: r.workloads.join(',') },
        };
      }
      case 'restore-last-good': {
        if (!lastDeploy) return 'skipped';
        const lines = await restoreLastGood(lastDeploy, restoreReason(state.error), ctx);
        if (state.error instanceof GitopsError) state.error.details.push(...lines);
        for (const l of lines) ctx.log.info(`  ${l}`);
        const ref = lastDeploy.lastGood?.ref ?? '';
        lastDeploy = undefined;
        return { result: ref ? 'succeeded' : 'skipped', outputs: { restored: String(Boolean(ref)), ref } };
      }
      case 'promote': {
        const { promote } = await import('../promote/index.js');
        const r = await promote(
          {
            repoDir: root,
            from: w.from as string,
            to: w.to as string,
            ...(text(w.images) && {
              images: (w.images as string)
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            }),
            deploy: flag(w, 'deploy', uses, true),
            push: flag(w, 'push', uses, true),
            force: flag(w, 'force', uses, false),
            ...(text(w.timeout) && { timeout: w.timeout }),
          },
          quiet,
        );
        return {
          result: r.changed || r.pushed ? 'succeeded' : 'skipped',
          outputs: { commit: r.commit, changed: String(r.changed), pushed: String(r.pushed) },
        };
      }
      case 'rollback': {
        const { rollback } = await import('../rollback/index.js');
        const r = await rollback(
          {
            repoDir: root,
            env: w.env as string,
            ...(text(w.to) && { to: w.to }),
            ...(text(w.reason) && { reason: w.reason }),
            deploy: flag(w, 'deploy', uses, true),
            push: flag(w, 'push', uses, true),
            ...(text(w.timeout) && { timeout: w.timeout }),
          },
          quiet,
        );
        return {
          result: r.changed || r.pushed ? 'succeeded' : 'skipped',
          outputs: { commit: r.commit, changed: String(r.changed), pushed: String(r.pushed) },
        };
      }
      default:
        // The schema admits only standalone built-ins; reaching this is a bug.
        throw new Error(`${uses} is not a standalone step`);
    }
  };
}
