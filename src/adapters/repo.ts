/**
 * The env repo on disk: its working copy, its config file and overlay folders, and the one rule for
 * every path read from it (confined to the repo, symlinks resolved).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { MAX_YAML_BYTES } from '../core/bounds.js';
import { CONFIG_FILE, DEFAULT_OVERLAYS_DIR, parseConfig, type ResolvedConfig, resolveConfig } from '../core/config.js';
import type { Config } from '../core/config-schema.js';
import { invalid, quote } from '../core/errors.js';
import type { CommandContext } from '../core/io.js';
import { KUSTOMIZATION_FILES } from '../core/kustomization.js';
import { nonEnvironmentFolders } from '../core/kustomize-deps.js';
import type { StepCatalogue } from '../core/pipeline-schema.js';

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

/** Reads gitops-flow.yaml (confined, size-capped) and parses it; undefined when there is none. */
export async function readConfigFile(root: string, steps: StepCatalogue): Promise<Config | undefined> {
  const text = await readRepoFile(root, CONFIG_FILE, CONFIG_FILE, MAX_YAML_BYTES, 'CONFIG_INVALID');
  return text === undefined ? undefined : parseConfig(text, steps);
}

/**
 * Loads gitops-flow.yaml (optional) and the overlay folders from a working tree; `steps` are the
 * built-in steps its pipelines may use (src/steps/registry.ts).
 */
export async function loadConfig(root: string, steps: StepCatalogue): Promise<ResolvedConfig> {
  const config = await readConfigFile(root, steps);
  const overlaysDir = confine(root, config?.overlaysDir ?? DEFAULT_OVERLAYS_DIR, 'overlaysDir');
  const folders = existsSync(overlaysDir)
    ? (await readdir(overlaysDir, { withFileTypes: true }))
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  // Without a list of environments, the folders are: a folder without a kustomization, or that another
  // builds on (a base beside the overlays), is not one.
  const texts = await Promise.all(
    folders.map(async (name) => {
      const file = KUSTOMIZATION_FILES.map((f) => join(overlaysDir, name, f)).find((f) => existsSync(f));
      // Through the one rule too: a link out of the repo (or to /dev/zero) is refused, not read unbounded.
      const text = file
        ? await readRepoFile(root, relative(root, file), 'kustomization', MAX_YAML_BYTES, 'KUSTOMIZATION_INVALID')
        : undefined;
      return { name, text: file ? (text ?? '') : undefined };
    }),
  );
  const ignored = config?.environments ? [] : nonEnvironmentFolders(texts);
  const resolved = resolveConfig(
    config,
    folders.filter((f) => !ignored.some((i) => i.folder === f)),
    ignored,
  );
  for (const env of resolved.environments.values()) confine(root, env.overlay, `environments.${env.name}.overlay`);
  if (resolved.environments.size === 0) {
    throw invalid(
      'NO_ENVIRONMENTS',
      `No environments found in ${quote(root)}.`,
      `Create ${DEFAULT_OVERLAYS_DIR}/<env>/kustomization.yaml, declare environments in ${CONFIG_FILE}, or run \`gitops-flow init\`.`,
      root,
      resolved.ignoredFolders.map((i) => `${i.folder}: ${i.reason}`),
    );
  }
  return resolved;
}

/**
 * The one confinement rule, for every file gitops-flow reads or writes in an env repo: `path`
 * (relative to `root`) resolved with every symlink — existing or dangling, in the last component or
 * in any parent — must stay inside the repo root (itself resolved). Else exit 2 PATH_OUTSIDE_REPO
 * naming the path, before anything is read or written. Returns the absolute path (not resolved: git
 * and error messages see the repo's own names).
 */
export function confine(root: string, path: string, what: string): string {
  const bad = (why = 'is outside the repository') =>
    invalid(
      'PATH_OUTSIDE_REPO',
      `${what} ${quote(path)} ${why}.`,
      'Use a relative path inside the env repo, without ".." and without symlinks that lead out of it.',
      path,
    );
  if (path.includes('\0') || isAbsolute(path)) throw bad();
  const abs = resolve(root, path);
  const rel = relative(root, abs);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw bad();
  const realRoot = resolveLinks(resolve(root));
  const real = resolveLinks(abs);
  if (real === undefined || realRoot === undefined) throw bad('leads through a loop of symlinks');
  if (real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : `${realRoot}${sep}`))
    throw bad(`leads out of the repository (to ${quote(real)})`);
  return abs;
}

/** Most symlinks followed while resolving one path (Linux's own limit is 40). */
const MAX_LINKS = 40;

/**
 * `abs` with every symlink resolved, component by component, whether the final target exists or
 * not (a dangling link, a file about to be created under a linked directory); undefined on a loop.
 */
function resolveLinks(abs: string): string | undefined {
  let queue = abs.split(sep).filter(Boolean);
  let cur: string = sep;
  let links = 0;
  while (queue.length > 0) {
    const part = queue.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      cur = dirname(cur);
      continue;
    }
    const next = join(cur, part);
    // ENOTDIR (a parent is a file) and the like: nothing exists there, the rest resolves as written.
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(next, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (st?.isSymbolicLink()) {
      if (++links > MAX_LINKS) return undefined;
      const target = readlinkSync(next);
      queue = [...target.split(sep).filter(Boolean), ...queue];
      if (isAbsolute(target)) cur = sep;
      continue;
    }
    cur = next;
  }
  return cur;
}

/**
 * Reads a repo file through the one rule, refusing one over `maxBytes` (exit 2 `code`) before reading
 * it; undefined when it does not exist. Never follows a link out of the repo.
 */
export async function readRepoFile(
  root: string,
  path: string,
  what: string,
  maxBytes: number,
  code: string,
): Promise<string | undefined> {
  const abs = confine(root, path, what);
  const st = await stat(abs).catch(() => undefined);
  if (!st) return undefined;
  if (!st.isFile())
    throw invalid(code, `${what} ${quote(path)} is not a regular file.`, 'Make it a file in the env repo.', path);
  if (st.size > maxBytes)
    throw invalid(
      code,
      `${what} ${quote(path)} is ${(st.size / 1024 / 1024).toFixed(1)} MB; gitops-flow reads at most ${maxBytes / 1024 / 1024} MB.`,
      'Check that the file is the one intended (not generated or corrupted).',
      path,
    );
  return readFile(abs, 'utf8');
}

/**
 * Writes `abs` (a path `confine` returned) atomically: a temp file beside it, then renamed over it. The
 * temp name is random and created with O_EXCL, which never follows a link: a committed symlink named
 * like the temp file (`kustomization.yaml.gitops-flow.tmp` → ~/.bashrc) cannot carry the write out of
 * the repo, as writing through a fixed temp name did.
 */
export async function writeFileAtomic(abs: string, text: string): Promise<void> {
  const tmp = `${abs}.${randomBytes(6).toString('hex')}.gitops-flow.tmp`;
  let created = false;
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    created = true;
    await rename(tmp, abs);
  } catch (e) {
    if (created) await rm(tmp, { force: true });
    throw e;
  }
}

/** The kustomization file of an overlay directory (repo-relative), confined, or an exit-2 error. */
export function kustomizationFile(root: string, overlay: string, env: string): string {
  const overlayDir = confine(root, overlay, `overlay of ${env}`);
  for (const name of KUSTOMIZATION_FILES) {
    const rel = join(overlay, name);
    // A dangling or escaping link is refused, not skipped: it would otherwise be replaced by a new file.
    if (lstatSync(join(overlayDir, name), { throwIfNoEntry: false }))
      return confine(root, rel, `kustomization of ${env}`);
  }
  throw invalid(
    'OVERLAY_MISSING',
    `Environment ${quote(env)} has no kustomization in ${quote(overlayDir)}.`,
    'Create kustomization.yaml in the overlay, or fix the overlay path in gitops-flow.yaml.',
    overlayDir,
  );
}
