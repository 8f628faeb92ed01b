/**
 * The env repo on disk: its working copy, its config file and overlay folders, and the one rule for
 * every path read from it (confined to the repo, symlinks resolved).
 */
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { CONFIG_FILE, DEFAULT_OVERLAYS_DIR, parseConfig, type ResolvedConfig, resolveConfig } from '../core/config.js';
import { invalid, quote } from '../core/errors.js';
import type { CommandContext } from '../core/io.js';
import { KUSTOMIZATION_FILES } from '../core/kustomization.js';

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
