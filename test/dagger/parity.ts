/**
 * What the parity test needs: two HTTP remotes of one env repo (the same first commit), `dagger call` of
 * this module with the shared arguments a CI job passes, and the comparisons — commit trees, messages
 * with their trailers, JSON — with each repo's commit ids replaced by their place in its history.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inject } from 'vitest';
import { parse } from 'yaml';
import { gitSync, makeRemote, REPO_ROOT, tempDir } from '../helpers/git-fixtures.js';
import { type GitHttpServer, serveGitHttp } from '../helpers/http-git.js';

/** The CI context both runs get: as variables for the CLI, as arguments for the module. */
export const CI: Record<string, string> = {
  GITLAB_CI: 'true',
  GITLAB_USER_NAME: 'Parity Tester',
  GITLAB_USER_EMAIL: 'parity@example.test',
  CI_PROJECT_PATH: 'team/pick-manager',
  CI_COMMIT_SHA: '0123456789abcdef0123456789abcdef01234567',
  CI_COMMIT_REF_NAME: 'main',
  CI_PIPELINE_ID: '4242',
  CI_PIPELINE_URL: 'https://gitlab.example.test/team/pick-manager/-/pipelines/4242',
  CI_JOB_URL: 'https://gitlab.example.test/team/pick-manager/-/jobs/77',
};

export const TOKEN = 'parity-token-0123456789';

export interface Remotes {
  server: GitHttpServer;
  /** Bare repos on disk and their URLs: `dagger` for the module's runs, `native` for the CLI's. */
  dagger: { dir: string; url: string };
  native: { dir: string; url: string };
}

/** Two bare remotes holding the same first commit of `files`, served over HTTP with a token. */
export async function twoRemotes(files: Record<string, string>): Promise<Remotes> {
  const first = makeRemote(files);
  const root = dirname(first.dir);
  const nativeDir = join(root, 'native.git');
  gitSync(root, ['clone', '--quiet', '--bare', first.dir, nativeDir]);
  for (const dir of [first.dir, nativeDir]) gitSync(dir, ['config', 'http.receivepack', 'true']);
  const server = await serveGitHttp({ root, token: TOKEN });
  return {
    server,
    dagger: { dir: first.dir, url: `${server.url}/env.git` },
    native: { dir: nativeDir, url: `${server.url}/native.git` },
  };
}

/** A working clone of an HTTP remote for the CLI (the token reaches git as the CLI passes it). */
export function workingClone(url: string): string {
  const dir = join(tempDir('gitops-flow-parity-'), 'env');
  const header = `Authorization: Basic ${Buffer.from(`oauth2:${TOKEN}`).toString('base64')}`;
  gitSync(dirname(dir), ['-c', `http.extraHeader=${header}`, 'clone', '--quiet', url, dir]);
  return dir;
}

/** The loopback ports of the e2e clusters (their kubeconfig's servers) and of the git server. */
export function hostPorts(gitUrl: string): number[] {
  const kubeconfig = parse(readFileSync(inject('kubeconfig'), 'utf8')) as {
    clusters: { cluster: { server: string } }[];
  };
  const ports = kubeconfig.clusters.map((c) => Number(new URL(c.cluster.server).port));
  return [...new Set([...ports, Number(new URL(gitUrl).port)])];
}

const kebab = (name: string) => name.toLowerCase().replace(/_/g, '-');

/** The arguments before the function name, as the Dagger components pass them (plus the local services). */
export function sharedArgs(repoUrl: string): string[] {
  const toolbox = process.env.GITOPS_FLOW_TEST_TOOLBOX;
  return [
    ...(toolbox ? ['--toolbox', toolbox] : ['--build-toolbox']),
    '--repo-url',
    repoUrl,
    '--git-token',
    'env://GITOPS_FLOW_GIT_TOKEN',
    '--kubeconfig',
    `file://${inject('kubeconfig')}`,
    '--host-services',
    hostPorts(repoUrl)
      .map((p) => `tcp://localhost:${p}`)
      .join(','),
    ...Object.entries(CI).flatMap(([k, v]) => [`--${kebab(k)}`, v]),
  ];
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `dagger <argv>` with this repository as the module (`-m`), the token in its environment only. */
export function dagger(argv: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(inject('dagger'), ['--progress=plain', ...argv], {
      cwd: REPO_ROOT,
      env: { ...process.env, GITOPS_FLOW_GIT_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
  });
}

/** `dagger call -m <this repo> <shared> <fn> <args>` on the `dagger` remote. */
export function daggerCall(remotes: Remotes, fn: string[]): Promise<Run> {
  return dagger(['call', '-m', REPO_ROOT, ...sharedArgs(remotes.dagger.url), ...fn]);
}

/** The environment the native CLI gets: the e2e one, the token and the same CI context. */
export function nativeEnv(): NodeJS.ProcessEnv {
  return { GITOPS_FLOW_GIT_TOKEN: TOKEN, ...CI };
}

/** Commit ids of a bare repo's main, oldest first. */
function history(bare: string): string[] {
  return gitSync(bare, ['rev-list', '--reverse', 'main']).split('\n').filter(Boolean);
}

/** `text` with each commit id of `bare` replaced by its place in main's history (`<commit 3>`), times blanked. */
export function normalize(bare: string, text: string): string {
  let out = text;
  for (const [i, sha] of history(bare).entries()) {
    out = out.replaceAll(sha, `<commit ${i}>`).replaceAll(sha.slice(0, 12), `<commit ${i}>`);
  }
  return out.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, '<time>');
}

/** What a bare repo's main says about its releases: each commit's tree, author and normalized message. */
export function commits(bare: string): { tree: string; author: string; message: string }[] {
  return history(bare).map((sha) => ({
    tree: gitSync(bare, ['rev-parse', `${sha}^{tree}`]),
    author: gitSync(bare, ['show', '-s', '--format=%an <%ae>', sha]),
    message: normalize(bare, gitSync(bare, ['show', '-s', '--format=%B', sha])),
  }));
}

/** The refs of a bare repo other than main (verification records, pins, merge-request branches), by name. */
export function otherRefs(bare: string): string[] {
  return gitSync(bare, ['for-each-ref', '--format=%(refname)'])
    .split('\n')
    .filter((r) => r && r !== 'refs/heads/main');
}

/** Keeps a failed run's output where the reader finds it (the test names the file). */
export function keepLog(name: string, run: Run): string {
  const file = join(tempDir('gitops-flow-dagger-log-'), `${name}.log`);
  writeFileSync(file, `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}\n`);
  return file;
}
