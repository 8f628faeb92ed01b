/**
 * git, one function per operation. The access token reaches git only through the child's environment
 * (an http.extraHeader set with GIT_CONFIG_*), never argv, .git/config, logs or commits.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { GitopsError, invalid, quote } from '../core/errors.js';
import type { CommandContext, Logger } from '../core/io.js';
import { ExecError, type ExecResult, exec } from './exec.js';

export interface GitContext {
  /** The working copy (or where to clone). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  dryRun?: boolean;
}

/** The git context of a command working in `cwd`. */
export function gitContext(ctx: CommandContext, cwd: string): GitContext {
  return { cwd, env: ctx.io.env, log: ctx.log, dryRun: ctx.opts.dryRun };
}

/** The token variables, in order of preference. */
const TOKEN_VARIABLES = ['GITOPS_FLOW_GIT_TOKEN', 'GITLAB_TOKEN'];

/** The child environment for git: no prompts, fixed locale, and the token as an HTTP header. */
export function gitEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' };
  const token = TOKEN_VARIABLES.map((k) => env[k]).find((v) => v);
  if (token) {
    const basic = Buffer.from(`oauth2:${token}`).toString('base64');
    out.GIT_CONFIG_COUNT = '1';
    out.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    out.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
  }
  return out;
}

/** What git prints when the server refused the credentials (or none were given and it may not prompt). */
const AUTH_FAILED =
  /could not read Username|Authentication failed|HTTP Basic: Access denied|requested URL returned error: 40[13]/;

/** Runs `git <args>` in the context's working copy; a refused login is GIT_AUTH_FAILED, not a bare exit code. */
export async function git(
  args: string[],
  ctx: GitContext,
  extra: { mutates?: boolean; input?: string; allowFailure?: boolean } = {},
): Promise<ExecResult> {
  try {
    return await exec(['git', ...args], {
      cwd: ctx.cwd,
      env: gitEnv(ctx.env),
      log: ctx.log,
      dryRun: ctx.dryRun ?? false,
      ...extra,
    });
  } catch (e) {
    if (!(e instanceof ExecError) || !AUTH_FAILED.test(e.stderr)) throw e;
    const url =
      args.find((a) => /^[a-z][a-z0-9+.-]*:\/\//i.test(a)) ?? /(?:for|to access) '([^']+)'/.exec(e.stderr)?.[1];
    const hasToken = TOKEN_VARIABLES.some((k) => ctx.env[k]);
    throw new GitopsError({
      code: 'GIT_AUTH_FAILED',
      exitCode: 1,
      value: url,
      details: e.stderr.trim().split('\n').slice(-3),
      cause: e,
      message: `git could not authenticate to ${url ?? 'the env repo'}${hasToken ? ': the server refused the token' : ': no token was given'}.`,
      remediation:
        'Set GITOPS_FLOW_GIT_TOKEN (or GITLAB_TOKEN) to a token that may read and write the env repo (GitLab: a project access token with write_repository).',
    });
  }
}

/** Clones `url` at `branch` into `dir` (shallow when `depth` is given). */
export async function clone(
  p: { url: string; dir: string; branch?: string; depth?: number },
  ctx: GitContext,
): Promise<void> {
  await mkdir(p.dir, { recursive: true });
  const args = ['clone', '--quiet', '--no-tags'];
  if (p.depth) args.push(`--depth=${p.depth}`);
  if (p.branch) args.push('--branch', p.branch, '--single-branch');
  args.push('--', p.url, p.dir);
  await git(args, ctx);
}

/** The full sha of `ref`, or undefined when it does not resolve. */
export async function revParse(ref: string, ctx: GitContext): Promise<string | undefined> {
  // A "ref" that git would read as an option (--output=…) is no ref.
  if (ref.startsWith('-')) return undefined;
  const r = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], ctx, { allowFailure: true });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
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

/** The content of `path` at `ref`, or undefined when the file does not exist there. */
export async function showFile(ref: string, path: string, ctx: GitContext): Promise<string | undefined> {
  const r = await git(['show', `${ref}:${path}`], ctx, { allowFailure: true });
  return r.exitCode === 0 ? r.stdout : undefined;
}

/** Names of the directories directly under `path` at `ref` (empty when it does not exist). */
export async function listDirs(ref: string, path: string, ctx: GitContext): Promise<string[]> {
  const r = await git(['ls-tree', '-d', '--name-only', `${ref}:${path}`], ctx, { allowFailure: true });
  return r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/** Stages `paths` and commits them with `message` (read from stdin, never argv). */
export async function commit(
  p: { paths: string[]; message: string; author?: { name: string; email: string } },
  ctx: GitContext,
): Promise<void> {
  await git(['add', '--', ...p.paths], ctx, { mutates: true });
  const identity = p.author ? ['-c', `user.name=${p.author.name}`, '-c', `user.email=${p.author.email}`] : [];
  await git([...identity, 'commit', '--quiet', '--no-verify', '-F', '-', '--', ...p.paths], ctx, {
    mutates: true,
    input: p.message,
  });
}

/** Does the working copy have uncommitted changes under `paths`? */
export async function isDirty(paths: string[], ctx: GitContext): Promise<boolean> {
  const r = await git(['status', '--porcelain', '--', ...paths], ctx);
  return r.stdout.trim() !== '';
}

export type PushOutcome = { ok: true } | { ok: false; reason: 'rejected' | 'error'; stderr: string };

/** Texts of git, GitLab and GitHub that mean "someone pushed first": fetch, rebase, retry. */
const REJECTED = [
  /\[rejected\]/,
  /non-fast-forward/,
  /fetch first/,
  /incorrect old value provided/,
  /cannot lock ref/,
  /\(stale info\)/,
];

/** Does git's output for a failed push say that someone pushed first (retry), not that it was refused? */
export function pushWasRaced(text: string): boolean {
  return REJECTED.some((re) => re.test(text));
}

/** Pushes `refspec` to `remote` with `-o` push options; a rejection is reported, not thrown. */
export async function push(
  p: { remote: string; refspec: string; options?: string[] },
  ctx: GitContext,
): Promise<PushOutcome> {
  const args = ['push', '--porcelain'];
  for (const o of p.options ?? []) args.push('-o', o);
  args.push(p.remote, p.refspec);
  const r = await git(args, ctx, { mutates: true, allowFailure: true });
  if (r.exitCode === 0) return { ok: true };
  const text = `${r.stdout}\n${r.stderr}`;
  return { ok: false, reason: pushWasRaced(text) ? 'rejected' : 'error', stderr: text.trim() };
}

/** Fetches `branch` from `remote` (depth-limited when the clone is shallow). */
export async function fetch(p: { remote: string; branch: string; depth?: number }, ctx: GitContext): Promise<void> {
  const args = ['fetch', '--quiet', '--no-tags'];
  if (p.depth) args.push(`--depth=${p.depth}`);
  args.push(p.remote, `+refs/heads/${p.branch}:refs/remotes/${p.remote}/${p.branch}`);
  await git(args, ctx);
}

/** Rebases the current branch onto `upstream`; on a conflict aborts and returns the conflicting files. */
export async function rebase(
  upstream: string,
  ctx: GitContext,
): Promise<{ ok: true } | { ok: false; conflicts: string[] }> {
  const r = await git(['rebase', '--quiet', upstream], ctx, { mutates: true, allowFailure: true });
  if (r.exitCode === 0) return { ok: true };
  const files = await git(['diff', '--name-only', '--diff-filter=U'], ctx, { allowFailure: true });
  await git(['rebase', '--abort'], ctx, { allowFailure: true });
  return { ok: false, conflicts: files.stdout.split('\n').filter(Boolean) };
}

/** Writes the tree of `ref` into `dir` (git archive piped to tar, no shell). */
export async function exportTree(ref: string, dir: string, ctx: GitContext): Promise<void> {
  ctx.log.debug(`$ git archive ${ref} | tar -x -C ${dir}`);
  const archive = spawn('git', ['archive', '--format=tar', ref], {
    cwd: ctx.cwd,
    env: gitEnv(ctx.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  archive.stderr.on('data', (b: Buffer) => (err += b.toString()));
  tar.stderr.on('data', (b: Buffer) => (err += b.toString()));
  archive.stdout.pipe(tar.stdin);
  const exited = (c: ReturnType<typeof spawn>) =>
    new Promise<number>((resolve) => {
      c.on('error', () => resolve(127));
      c.on('close', (code) => resolve(code ?? 1));
    });
  const [a, t] = await Promise.all([exited(archive), exited(tar)]);
  if (a !== 0 || t !== 0) throw new ExecError(['git', 'archive', ref], a || t, err, '');
}

/** Reads many `<rev>:<path>` blobs in one `git cat-file --batch` process; undefined where missing. */
export async function readBlobs(specs: string[], ctx: GitContext): Promise<(string | undefined)[]> {
  return (await readBlobEntries(specs, ctx)).map((e) => e?.text);
}

/** Like readBlobs, with each blob's object id (equal ids: equal content). */
export async function readBlobEntries(
  specs: string[],
  ctx: GitContext,
): Promise<({ id: string; text: string } | undefined)[]> {
  if (specs.length === 0) return [];
  const r = await exec(['git', 'cat-file', '--batch'], {
    cwd: ctx.cwd,
    env: gitEnv(ctx.env),
    log: ctx.log,
    input: `${specs.join('\n')}\n`,
  });
  const buf = Buffer.from(r.stdout, 'utf8');
  const out: ({ id: string; text: string } | undefined)[] = [];
  let pos = 0;
  for (let i = 0; i < specs.length; i++) {
    const nl = buf.indexOf(10, pos);
    const header = buf.subarray(pos, nl).toString('utf8');
    pos = nl + 1;
    const m = /^([0-9a-f]+) (blob|tree|commit|tag) (\d+)$/.exec(header);
    if (!m) {
      out.push(undefined);
      continue;
    }
    const size = Number(m[3]);
    out.push(
      m[2] === 'blob' ? { id: m[1] as string, text: buf.subarray(pos, pos + size).toString('utf8') } : undefined,
    );
    pos += size + 1;
  }
  return out;
}

/**
 * For each path, the newest commit at or before `rev` that changed it, with its committer time — in one
 * `git log` pass that stops as soon as every path is found.
 */
export function lastChanges(
  rev: string,
  paths: string[],
  ctx: GitContext,
): Promise<Map<string, { commit: string; time: string }>> {
  const found = new Map<string, { commit: string; time: string }>();
  if (paths.length === 0) return Promise.resolve(found);
  const prefixes = paths.map((p) => `${p.replace(/\/+$/, '')}/`);
  ctx.log.debug(`$ git log --name-only ${rev} -- (${paths.length} paths)`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      'git',
      ['log', '--format=%x1e%H %cI', '--name-only', '--no-renames', rev, '--', ...compactPathspecs(paths)],
      { cwd: ctx.cwd, env: gitEnv(ctx.env), stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let buf = '';
    let commit = '';
    let time = '';
    const line = (l: string) => {
      if (l.startsWith('\x1e')) [commit = '', time = ''] = l.slice(1).split(' ');
      else if (l)
        prefixes.forEach((p, i) => {
          const path = paths[i] as string;
          if (!found.has(path) && l.startsWith(p)) found.set(path, { commit, time });
        });
    };
    child.stdout.on('data', (b: Buffer) => {
      buf += b.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      lines.forEach(line);
      if (found.size === paths.length) child.kill();
    });
    child.on('error', reject);
    child.on('close', () => {
      line(buf);
      resolve(found);
    });
  });
}

/**
 * Pathspecs for `git log` over many paths: git matches each pathspec against every commit's changes,
 * so hundreds of them are slow (6.4 s for 300 overlays over 5,000 commits, 0.3 s for their parent).
 * Past a handful, use their parent directories; callers filter the changed files themselves.
 */
export function compactPathspecs(paths: string[]): string[] {
  if (paths.length <= 16) return paths;
  return [...new Set(paths.map((p) => p.replace(/\/+$/, '').split('/').slice(0, -1).join('/') || '.'))];
}
