/**
 * `doctor`: are the pinned tools on PATH, does the env repo's config load, does each environment
 * render (one row each), can each environment's cluster be reached? Prints a table (✓ ok, ✗ failed, – skipped) with the fix for each ✗. Reads and
 * probes only: it changes nothing.
 */

import { envImages } from '../../adapters/env-images.js';
import { isolationPrefix, UNISOLATED } from '../../adapters/isolate.js';
import { repoDir } from '../../adapters/repo.js';
import { worktree } from '../../adapters/trees.js';
import type { Environment } from '../../core/config.js';
import { GitopsError } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { imageReferences } from '../../core/rendered-images.js';
import { loadConfig } from '../../steps/config.js';
import { checkClusters } from './clusters.js';
import { readManifest, type ToolsManifest } from './manifest.js';
import { type Check, checkTools, findOnPath, type ToolEnv } from './tools.js';

export type { Check } from './tools.js';

export interface DoctorOptions {
  repoDir?: string;
}

export interface DoctorResult {
  /** False when a required check failed. */
  ok: boolean;
  checks: Check[];
}

export async function doctor(o: DoctorOptions, ctx: CommandContext): Promise<DoctorResult> {
  const e: ToolEnv = { env: ctx.io.env, cwd: ctx.io.cwd, log: ctx.log };
  const checks: Check[] = [];

  let manifest: ToolsManifest | undefined;
  try {
    manifest = await readManifest();
  } catch (err) {
    checks.push({
      name: 'tools manifest',
      ok: false,
      required: true,
      detail: message(err),
      fix: 'Reinstall gitops-flow: its package ships ci/tools.json.',
    });
  }

  const config = await checkConfig(o, ctx);
  const envs = config.envs ?? [];
  if (manifest)
    checks.push(
      ...(await checkTools(
        manifest,
        envs.some((env) => env.gke),
        e,
      )),
    );
  checks.push(config.check);
  if (config.ignored?.length)
    checks.push({
      name: 'overlay folders',
      ok: false,
      required: false,
      detail: `not environments: ${config.ignored.map((i) => `${i.folder} (${i.reason})`).join('; ')}`,
      fix: 'Rename the folder, or list the environments in gitops-flow.yaml (environments:, overlaysDir:).',
    });
  if (config.envs && config.root) checks.push(...(await checkRenders(config.root, envs, ctx)));
  if (config.envs) checks.push(...(await checkClusters(envs, findOnPath('kubectl', e.env), e)));
  else
    checks.push({ name: 'clusters', ok: null, required: false, detail: 'skipped: the config did not load', fix: null });

  checks.push(await checkIsolation(ctx));

  const result = { ok: checks.every((c) => c.ok !== false || !c.required), checks };
  printTable(result, ctx);
  return result;
}

/** Can run: steps be put in their own PID namespace here (docs/security.md)? Not required: reported. */
async function checkIsolation(ctx: CommandContext): Promise<Check> {
  const prefix = await isolationPrefix(ctx.io.env, ctx.log);
  return {
    name: 'run: step isolation',
    ok: prefix !== undefined,
    required: false,
    detail: prefix ? `each step in its own PID namespace and /proc (${prefix.slice(0, -1).join(' ')})` : UNISOLATED,
    fix: prefix
      ? null
      : 'Install util-linux (unshare) and allow user namespaces (sysctl kernel.unprivileged_userns_clone=1; in a container, a seccomp profile that permits unshare).',
  };
}

/** Each env renders (one row each, so a broken one is named with its file and line, the others still pass). */
async function checkRenders(root: string, envs: Environment[], ctx: CommandContext): Promise<Check[]> {
  const tree = worktree(root);
  return Promise.all(
    envs.map(async (env): Promise<Check> => {
      try {
        const r = await envImages(
          { tree, overlay: env.overlay, envName: env.name, build: env.build, remoteResources: env.remoteResources },
          { env: ctx.io.env, log: ctx.log },
        );
        const images = imageReferences(r.images);
        const names = Object.keys(images);
        return {
          name: `render ${env.name}`,
          ok: true,
          required: true,
          detail: `${names.length} image(s)${
            names.length
              ? `: ${names
                  .slice(0, 3)
                  .map((n) => `${n}=${images[n]}`)
                  .join(', ')}${names.length > 3 ? ', …' : ''}`
              : ''
          }`,
          fix: null,
        };
      } catch (err) {
        const detail = err instanceof GitopsError ? `${err.code}: ${err.message}` : message(err);
        const fix =
          err instanceof GitopsError && err.remediation ? err.remediation : 'Run gitops-flow render --env <env>.';
        return { name: `render ${env.name}`, ok: false, required: true, detail, fix };
      }
    }),
  );
}

async function checkConfig(
  o: DoctorOptions,
  ctx: CommandContext,
): Promise<{ check: Check; envs?: Environment[]; root?: string; ignored?: { folder: string; reason: string }[] }> {
  try {
    const root = repoDir(ctx, o.repoDir);
    const config = await loadConfig(root);
    const envs = [...config.environments.values()];
    const source = config.fromFile ? 'gitops-flow.yaml' : 'overlay folders, no gitops-flow.yaml';
    return {
      check: {
        name: 'config',
        ok: true,
        required: true,
        detail: `${envs.length} environment(s): ${envs.map((x) => x.name).join(', ')} (${source})`,
        fix: null,
      },
      envs,
      root,
      ignored: config.ignoredFolders,
    };
  } catch (err) {
    const detail =
      err instanceof GitopsError ? [`${err.code}: ${err.message}`, ...err.details].join('; ') : message(err);
    const fix =
      err instanceof GitopsError && err.remediation
        ? err.remediation
        : 'Run doctor in an env repo (-C <dir>), or create one with `gitops-flow init`.';
    return { check: { name: 'config', ok: false, required: true, detail, fix } };
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The human table on stderr: mark, name, detail, and an indented fix under each ✗. */
function printTable(r: DoctorResult, ctx: CommandContext): void {
  const c = ctx.log.color;
  const width = Math.max(...r.checks.map((x) => x.name.length));
  const lines: string[] = [];
  for (const x of r.checks) {
    const mark = x.ok === null ? c.dim('–') : x.ok ? c.green('✓') : x.required ? c.red('✗') : c.yellow('✗');
    const optional = x.ok === false && !x.required ? ' (optional)' : '';
    lines.push(`${mark} ${x.name.padEnd(width)}  ${x.detail}${optional}`);
    if (x.ok === false && x.fix) lines.push(`  ${' '.repeat(width)}  ${c.bold('fix:')} ${x.fix}`);
  }
  const failed = r.checks.filter((x) => x.ok === false && x.required).length;
  const warned = r.checks.filter((x) => x.ok === false && !x.required).length;
  lines.push(
    '',
    failed > 0
      ? c.red(`${failed} required check(s) failed.`)
      : `All required checks passed${warned > 0 ? ` (${warned} optional check(s) failed)` : ''}.`,
  );
  ctx.log.info(lines.join('\n'));
}
