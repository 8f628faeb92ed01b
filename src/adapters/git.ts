/**
 * git, one function per operation. The access token reaches git only through the child's environment
 * (an http.extraHeader set with GIT_CONFIG_*), never argv, .git/config, logs or commits.
 */
import { mkdir } from 'node:fs/promises';
import { GitopsError, invalid, quote } from '../core/errors.js';
import type { CommandContext, Logger } from '../core/io.js';
import { type ExecResult, exec } from './exec.js';
import { ExecError } from './exec-error.js';

export interface GitContext {
  /** The working copy (or where to clone). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  dryRun?: boolean;
  /**
   * The env repo's URL, the only one the token is sent to (suggest: --env-repo). Default: the working
   * copy's `remote.origin.url`, as the runner's checkout configured it (never a file of the repo's content).
   */
  origin?: string;
}

/** The git context of a command working in `cwd`. */
export function gitContext(ctx: CommandContext, cwd: string): GitContext {
  return { cwd, env: ctx.io.env, log: ctx.log, dryRun: ctx.opts.dryRun };
}

/** The token variables, in order of preference. */
const TOKEN_VARIABLES = ['GITOPS_FLOW_GIT_TOKEN', 'GITLAB_TOKEN'];

/**
 * The child environment for git: no prompts, fixed locale, no redirects followed, no submodules
 * recursed into, and — when `origin` is an http(s) URL — the token as an HTTP header scoped to that
 * URL (`http.<url>.extraHeader`): git sends it to the env repo and nowhere else (not to a host a
 * redirect names, not to a submodule's host, not to another repo on the same host). git-lfs, where a
 * runner has it set up, never talks to its server (no smudge on checkout, no pre-push upload or lock
 * check): that host is the env repo's `.lfsconfig` to choose, and gitops-flow only writes manifests,
 * never LFS objects (pointer files stay pointers).
 */
export function gitEnv(env: NodeJS.ProcessEnv, origin?: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {
    ...env,
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_LFS_SKIP_SMUDGE: '1',
    GIT_LFS_SKIP_PUSH: '1',
  };
  const config: [string, string][] = [
    ['http.followRedirects', 'false'],
    ['submodule.recurse', 'false'],
    ['fetch.recurseSubmodules', 'false'],
    ['push.recurseSubmodules', 'no'],
  ];
  const token = TOKEN_VARIABLES.map((k) => env[k]).find((v) => v);
  const scope = origin && /^https?:\/\/[^\s]+$/i.test(origin) ? origin.replace(/\/+$/, '') : undefined;
  if (token && scope) {
    const basic = Buffer.from(`oauth2:${token}`).toString('base64');
    config.push([`http.${scope}.extraHeader`, `Authorization: Basic ${basic}`]);
  }
  // After any the caller set (GIT_CONFIG_COUNT is theirs too): ours come last and win.
  const base = Number.parseInt(env.GIT_CONFIG_COUNT ?? '0', 10) || 0;
  config.forEach(([k, v], i) => {
    out[`GIT_CONFIG_KEY_${base + i}`] = k;
    out[`GIT_CONFIG_VALUE_${base + i}`] = v;
  });
  out.GIT_CONFIG_COUNT = String(base + config.length);
  return out;
}

const origins = new Map<string, Promise<string | undefined>>();

/** The URL the token is scoped to: the context's origin, else the working copy's remote.origin.url. */
async function originOf(ctx: GitContext): Promise<string | undefined> {
  if (ctx.origin) return ctx.origin;
  if (!TOKEN_VARIABLES.some((k) => ctx.env[k])) return undefined;
  let found = origins.get(ctx.cwd);
  if (!found) {
    found = exec(['git', 'config', '--get', 'remote.origin.url'], {
      cwd: ctx.cwd,
      env: gitEnv(ctx.env),
      log: ctx.log,
      allowFailure: true,
    })
      .then((r) => (r.exitCode === 0 ? r.stdout.trim() || undefined : undefined))
      .catch(() => undefined);
    origins.set(ctx.cwd, found);
    // Not known yet (no clone there yet): ask again next time.
    void found.then((url) => url ?? origins.delete(ctx.cwd));
  }
  return found;
}

/** What git prints when a redirect was not followed (http.followRedirects=false). */
const REDIRECTED = /returned error: 30[1278]\b|HTTP 30[1278]\b/;

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
      env: gitEnv(ctx.env, await originOf(ctx)),
      log: ctx.log,
      dryRun: ctx.dryRun ?? false,
      ...extra,
    });
  } catch (e) {
    if (e instanceof ExecError && REDIRECTED.test(e.stderr)) {
      const url = /unable to access '([^']+)'/.exec(e.stderr)?.[1];
      throw invalid(
        'GIT_REDIRECT_REFUSED',
        `The env repo at ${url ?? 'its URL'} answered with a redirect; gitops-flow follows none (the token would go where the redirect points).`,
        'Use the URL the env repo lives at now (the one the redirect names, if you trust it) as its remote or --env-repo.',
        url,
        e.stderr.trim().split('\n').slice(-3),
      );
    }
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
  await git(args, { ...ctx, origin: p.url });
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

/** Moves the working copy to the remote tip of `branch` (discarding local commits on it). */
export async function resetToRemote(branch: string, g: GitContext, depth?: number): Promise<void> {
  await fetch({ remote: 'origin', branch, ...(depth && { depth }) }, g);
  await git(['checkout', '--quiet', '-B', branch, `refs/remotes/origin/${branch}`], g, { mutates: true });
}

/** Fast-forwards the current branch to `ref`. */
export async function mergeFastForward(ref: string, g: GitContext): Promise<void> {
  await git(['merge', '--ff-only', '--quiet', ref], g);
}

/** Does the working copy have a remote named origin? */
export async function hasOrigin(g: GitContext): Promise<boolean> {
  return (await git(['remote'], g)).stdout.split('\n').includes('origin');
}

/** Does origin have `branch`? */
export async function remoteHasBranch(branch: string, g: GitContext): Promise<boolean> {
  return Boolean((await git(['ls-remote', '--heads', 'origin', `refs/heads/${branch}`], g)).stdout.trim());
}

/** The branch checked out ('' on a detached HEAD). */
export async function currentBranch(g: GitContext): Promise<string> {
  return (await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], g, { allowFailure: true })).stdout.trim();
}

/** The short name of HEAD (`HEAD` when detached), as `git rev-parse --abbrev-ref` prints it. */
export async function headName(g: GitContext): Promise<string> {
  return (await git(['rev-parse', '--abbrev-ref', 'HEAD'], g)).stdout.trim();
}

/** The sha of HEAD (throws when there is none). */
export async function headCommit(g: GitContext): Promise<string> {
  return (await git(['rev-parse', 'HEAD'], g)).stdout.trim();
}

/** Is `a` an ancestor of (or equal to) `b`? */
export async function isAncestor(a: string, b: string, g: GitContext): Promise<boolean> {
  return (await git(['merge-base', '--is-ancestor', a, b], g, { allowFailure: true })).exitCode === 0;
}

/** How many commits `range` (e.g. `a..HEAD`) holds. */
export async function countCommits(range: string, g: GitContext): Promise<number> {
  return Number((await git(['rev-list', '--count', range], g)).stdout.trim());
}

/** The repo's own user.email, or undefined when git has none configured. */
export async function configuredEmail(g: GitContext): Promise<string | undefined> {
  const email = await git(['config', 'user.email'], g, { allowFailure: true });
  return email.exitCode === 0 && email.stdout.trim() ? email.stdout.trim() : undefined;
}

/** The absolute .git directory of the working copy (read even in dry-run). */
export async function gitDir(g: GitContext): Promise<string> {
  return (await git(['rev-parse', '--absolute-git-dir'], { ...g, dryRun: false })).stdout.trim();
}

/** Every ref name of the repository (empty when git cannot list them). */
export async function refNames(g: GitContext): Promise<string[]> {
  const refs = await git(['for-each-ref', '--format=%(refname)'], g, { allowFailure: true });
  return refs.stdout.split('\n').filter(Boolean);
}

/** Does HEAD have commits the remote `branch` (as last fetched) does not? True when there is no such branch. */
export async function aheadOfRemote(branch: string, g: GitContext): Promise<boolean> {
  const remote = await revParse(`refs/remotes/origin/${branch}`, g);
  if (!remote) return true;
  return (await countCommits(`${remote}..HEAD`, g)) > 0;
}
