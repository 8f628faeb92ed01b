/**
 * `init [--envs dev,uat,prod] [--app <name>] [--image <ref>] [--force]`: scaffolds an env repo in the
 * seed's layout. Refuses (exit 2, naming every file) to overwrite anything unless --force; when it
 * refuses, nothing is written.
 */
import { lstatSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { ExecError } from '../../adapters/exec-error.js';
import { gitContext } from '../../adapters/git.js';
import { initRepo, isInsideWorkTree } from '../../adapters/git-tree.js';
import { confine } from '../../adapters/repo.js';
import { invalid, quote } from '../../core/errors.js';
import { type ImageRef, parseImageRef } from '../../core/image-ref.js';
import type { CommandContext } from '../../core/io.js';
import { scaffoldFiles } from './templates.js';

export interface InitOptions {
  repoDir?: string;
  /** Comma-separated environment names, in promotion order. */
  envs?: string;
  app?: string;
  image?: string;
  force?: boolean;
}

export interface InitResult {
  root: string;
  environments: string[];
  files: string[];
  overwritten: string[];
}

// The same rules as gitops-flow.yaml's environment names, and Kubernetes names (namespaces are <app>-<env>).
const ENV_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_LABEL_MAX = 63;

export async function init(o: InitOptions, ctx: CommandContext): Promise<InitResult> {
  const root = resolve(ctx.io.cwd, o.repoDir ?? '.');
  const { app, image, envs } = parseOptions(o);
  const files = scaffoldFiles({ app, image, envs });
  const paths = Object.keys(files);

  const existing: string[] = [];
  const blocked: string[] = [];
  for (const path of paths) {
    confineAll(root, path);
    const abs = resolve(root, path);
    if (isPresent(abs)) existing.push(path);
    const badParent = ancestors(root, abs).find((a) => isPresent(a) && !lstatSync(a).isDirectory());
    if (badParent) blocked.push(`${relative(root, badParent)} is a file where ${path} needs a directory`);
  }
  if (blocked.length > 0) {
    throw invalid(
      'INIT_PATH_BLOCKED',
      `Cannot create the env repo layout in ${quote(root)}.`,
      'Move the files named above out of the way.',
      root,
      [...new Set(blocked)],
    );
  }
  if (existing.length > 0 && !o.force) {
    throw invalid(
      'INIT_WOULD_OVERWRITE',
      `${existing.length} file(s) already exist in ${quote(root)}; nothing was written.`,
      'Pass --force to overwrite them, or run init in an empty directory (gitops-flow -C <new-dir> init).',
      root,
      existing,
    );
  }

  if (ctx.opts.dryRun) {
    for (const path of paths)
      ctx.log.info(`[dry-run] would ${existing.includes(path) ? 'overwrite' : 'create'} ${path}`);
  } else {
    for (const path of paths) {
      const abs = resolve(root, path);
      await mkdir(dirname(abs), { recursive: true });
      // Replace rather than write through: an existing symlink becomes a plain file.
      if (existing.includes(path)) await rm(abs, { force: true });
      await writeFile(abs, files[path] as string, { flag: 'wx' });
      ctx.log.info(`${existing.includes(path) ? 'overwrote' : 'created'} ${path}`);
    }
    await gitInit(root, ctx);
  }
  nextSteps(ctx, o.repoDir, envs);
  return { root, environments: envs, files: paths, overwritten: existing };
}

/** Validates every option and reports all problems at once. */
function parseOptions(o: InitOptions): { app: string; image: ImageRef; envs: string[] } {
  const problems: string[] = [];
  const envs = (o.envs ?? 'dev,uat,prod')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (envs.length === 0) problems.push('--envs: give at least one environment, e.g. --envs dev,uat,prod');
  for (const env of envs) {
    if (!ENV_NAME.test(env))
      problems.push(
        `--envs: ${quote(env)} is not an environment name (lowercase letters, digits and "-", like a Kubernetes name)`,
      );
  }
  const dupes = envs.filter((e, i) => envs.indexOf(e) !== i);
  if (dupes.length > 0) problems.push(`--envs: ${[...new Set(dupes)].map(quote).join(', ')} given more than once`);

  const app = o.app ?? 'my-app';
  const longest = Math.max(0, ...envs.map((e) => e.length));
  if (!ENV_NAME.test(app))
    problems.push(`--app: ${quote(app)} is not a Kubernetes name (lowercase letters, digits and "-")`);
  else if (app.length + 1 + longest > DNS_LABEL_MAX)
    problems.push(`--app: ${quote(app)} is too long: namespaces are <app>-<env>, at most ${DNS_LABEL_MAX} characters`);

  let image: ImageRef = { name: `registry.example.com/team/${app}`, tag: '0.1.0' };
  if (o.image !== undefined) {
    try {
      image = parseImageRef(o.image, '--image');
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  if (problems.length > 0) {
    throw invalid(
      'INIT_OPTIONS_INVALID',
      `init has ${problems.length} invalid option(s).`,
      'Fix each option listed.',
      undefined,
      problems,
    );
  }
  return { app, image, envs };
}

/** Confines `path` and every existing folder on the way to it (a symlinked folder must not lead out). */
function confineAll(root: string, path: string): void {
  const abs = confine(root, path, 'init target');
  for (const a of ancestors(root, abs)) confine(root, relative(root, a), 'init target');
}

/** The folders between `root` (excluded) and `abs` (excluded). */
function ancestors(root: string, abs: string): string[] {
  const out: string[] = [];
  for (let d = dirname(abs); d !== root && d.startsWith(root); d = dirname(d)) out.unshift(d);
  return out;
}

function isPresent(abs: string): boolean {
  try {
    lstatSync(abs);
    return true;
  } catch {
    return false;
  }
}

/** Makes the folder a git repository on `main`, unless it already is inside one. */
async function gitInit(root: string, ctx: CommandContext): Promise<void> {
  const g = gitContext(ctx, root);
  try {
    if (await isInsideWorkTree(g)) return;
    await initRepo(g);
    ctx.log.info('initialized a git repository (branch main)');
  } catch (e) {
    if (!(e instanceof ExecError)) throw e;
    ctx.log.warn(`could not run git init (${e.message}); run it yourself before the first commit.`);
  }
}

/** A path as a user can paste it into a shell. */
function shown(path: string): string {
  return /^[\w./~-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

function nextSteps(ctx: CommandContext, dir: string | undefined, envs: string[]): void {
  const c = dir === undefined ? '' : ` -C ${shown(dir)}`;
  ctx.log.info(
    [
      '',
      'Next:',
      `  gitops-flow${c} render --env ${envs[0]}     check the render with the pinned kustomize`,
      `  gitops-flow${c} doctor                check tools, config and cluster access`,
      `  ${dir === undefined ? '' : `cd ${shown(dir)} && `}git add -A && git commit -m "Env repo from gitops-flow init" && git push`,
      '  then in GitLab: set GITOPS_FLOW_IMAGE, cluster credentials and GITOPS_FLOW_GIT_TOKEN as CI/CD variables',
    ].join('\n'),
  );
}
