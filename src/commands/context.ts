/** What every command gets, and the env-repo helpers they share. */
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { type GitContext, revParse } from '../adapters/git.js';
import { CONFIG_FILE, DEFAULT_OVERLAYS_DIR, parseConfig, type ResolvedConfig, resolveConfig } from '../core/config.js';
import { invalid, quote } from '../core/errors.js';
import type { Io, Logger, RunOptions } from '../core/io.js';
import { KUSTOMIZATION_FILES } from '../core/kustomization.js';

export interface CommandContext {
  io: Io;
  log: Logger;
  opts: RunOptions;
}

/** The env repo working copy given by `-C` (default: cwd), absolute. */
export function repoDir(ctx: CommandContext, dir: string | undefined): string {
  const abs = resolve(ctx.io.cwd, dir ?? '.');
  if (!existsSync(abs) || !lstatSync(abs).isDirectory()) {
    throw invalid(
      'REPO_DIR_MISSING',
      `The env repo directory ${quote(abs)} does not exist.`,
      'Pass -C <dir> pointing at a clone of the env repository.',
      abs,
    );
  }
  return abs;
}

export function gitContext(ctx: CommandContext, cwd: string): GitContext {
  return { cwd, env: ctx.io.env, log: ctx.log, dryRun: ctx.opts.dryRun };
}

/** Loads gitops-flow.yaml (optional) and the overlay folders from a working tree. */
export async function loadConfig(root: string): Promise<ResolvedConfig> {
  const file = join(root, CONFIG_FILE);
  const text = existsSync(file) ? await readFile(file, 'utf8') : undefined;
  const config = text === undefined ? undefined : parseConfig(text);
  const overlaysDir = confine(root, config?.overlaysDir ?? DEFAULT_OVERLAYS_DIR, 'overlaysDir');
  const folders = existsSync(overlaysDir)
    ? (await readdir(overlaysDir, { withFileTypes: true }))
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  const resolved = resolveConfig(config, folders);
  for (const env of resolved.environments.values()) confine(root, env.overlay, `environments.${env.name}.overlay`);
  if (resolved.environments.size === 0) {
    throw invalid(
      'NO_ENVIRONMENTS',
      `No environments found in ${quote(root)}.`,
      `Create ${DEFAULT_OVERLAYS_DIR}/<env>/kustomization.yaml, declare environments in ${CONFIG_FILE}, or run \`gitops-flow init\`.`,
      root,
    );
  }
  return resolved;
}

/**
 * Resolves a user path inside `root`, refusing `..`, absolute paths and symlinks that lead outside.
 * Returns the absolute path.
 */
export function confine(root: string, path: string, what: string): string {
  const bad = () =>
    invalid(
      'PATH_OUTSIDE_REPO',
      `${what} ${quote(path)} is outside the repository.`,
      'Use a relative path inside the env repo, without "..".',
      path,
    );
  if (path.includes('\0') || isAbsolute(path)) throw bad();
  const abs = resolve(root, path);
  const rel = relative(root, abs);
  if (rel.startsWith('..') || isAbsolute(rel)) throw bad();
  if (existsSync(abs)) {
    const real = relative(realpathSync(root), realpathSync(abs));
    if (real.startsWith('..') || isAbsolute(real)) throw bad();
  }
  return abs;
}

/** The kustomization file of an overlay directory, or an exit-2 error. */
export function kustomizationFile(overlayDir: string, env: string): string {
  for (const name of KUSTOMIZATION_FILES) {
    const f = join(overlayDir, name);
    if (existsSync(f)) return f;
  }
  throw invalid(
    'OVERLAY_MISSING',
    `Environment ${quote(env)} has no kustomization in ${quote(overlayDir)}.`,
    'Create kustomization.yaml in the overlay, or fix the overlay path in gitops-flow.yaml.',
    overlayDir,
  );
}

/** The full sha of `ref` in the env repo, or an exit-2 error. */
export async function resolveRef(ref: string, g: GitContext): Promise<string> {
  const sha = await revParse(ref, g);
  if (!sha)
    throw invalid(
      'REF_UNKNOWN',
      `Unknown git ref ${quote(ref)}.`,
      'Use a commit sha, branch or tag that exists in the env repo (fetch it first).',
      ref,
    );
  return sha;
}
