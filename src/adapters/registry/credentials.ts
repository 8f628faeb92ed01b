/**
 * Registry credentials from a docker `config.json` ($DOCKER_CONFIG/config.json, else ~/.docker/config.json),
 * as `docker login` writes it: `auths.<host>.auth` (base64 user:password), `identitytoken`, and the
 * credential helpers `credHelpers.<host>` / `credsStore`, run as `docker-credential-<helper> get` with the
 * server on stdin (argv only, no shell); in GitLab CI, the job's registry credentials for CI_REGISTRY.
 * Values read here are secrets: they never reach a message.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { GitopsError, invalid, quote } from '../../core/errors.js';
import type { Logger } from '../../core/io.js';
import { exec } from '../exec.js';
import { ExecError } from '../exec-error.js';

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken`), exchanged at the token endpoint. */
  identityToken?: string;
  /** Where they came from, for messages: a file and key, or a helper. Never the secret. */
  source: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The keys `docker login` uses for Docker Hub. */
const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
export const HUB_HOST = 'registry-1.docker.io';

/** The docker config file gitops-flow reads, from the given environment. */
export function dockerConfigFile(env: NodeJS.ProcessEnv): string {
  return join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json');
}

/**
 * The credentials for registry `host` (host[:port]): docker's config.json first, then — in a GitLab CI
 * job, for GitLab's own registry — the job's CI_REGISTRY_USER and CI_REGISTRY_PASSWORD; undefined for
 * anonymous access.
 */
export async function credentialsFor(
  host: string,
  ctx: { env: NodeJS.ProcessEnv; log: Logger },
): Promise<Credentials | undefined> {
  return (await fromDockerConfig(host, ctx)) ?? fromGitlabCi(host, ctx.env);
}

function fromGitlabCi(host: string, env: NodeJS.ProcessEnv): Credentials | undefined {
  const { CI_REGISTRY: registry, CI_REGISTRY_USER: username, CI_REGISTRY_PASSWORD: password } = env;
  if (!registry || !username || !password || hostOf(registry) !== host) return undefined;
  return { username, password, source: 'CI_REGISTRY_USER and CI_REGISTRY_PASSWORD (GitLab CI)' };
}

async function fromDockerConfig(
  host: string,
  ctx: { env: NodeJS.ProcessEnv; log: Logger },
): Promise<Credentials | undefined> {
  const file = dockerConfigFile(ctx.env);
  if (!existsSync(file)) return undefined;
  const config = parseDockerConfig(await readFile(file, 'utf8'), file);
  const keys = host === HUB_HOST ? HUB_KEYS : [host];
  const helper = keys.map((k) => config.credHelpers?.[k]).find(Boolean) ?? undefined;
  if (helper) return fromHelper(helper, host, ctx);
  const key = Object.keys(config.auths ?? {}).find((k) => keys.includes(hostOf(k)) || keys.includes(k));
  const entry = key === undefined ? undefined : config.auths?.[key];
  if (entry && (entry.auth || entry.identitytoken || entry.username))
    return fromEntry(entry, `${file} (auths.${key})`, file);
  if (config.credsStore) return fromHelper(config.credsStore, host, ctx);
  return undefined;
}

function parseDockerConfig(text: string, file: string): DockerConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    // Only where: the parser's message quotes the text around the error, which may be a credential.
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    throw invalid(
      'REGISTRY_CREDENTIALS_INVALID',
      `${file} is not valid JSON${at ? ` (at character ${at})` : ''}.`,
      'Fix the file (docker login rewrites it), or point DOCKER_CONFIG at a folder with a valid config.json.',
      file,
    );
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw invalid(
      'REGISTRY_CREDENTIALS_INVALID',
      `${file} is not a JSON object.`,
      'A docker config.json is an object with "auths": {…}.',
      file,
    );
  }
  return data as DockerConfig;
}

/** `https://registry.example.com/v1/` → `registry.example.com`. */
function hostOf(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

function fromEntry(entry: NonNullable<DockerConfig['auths']>[string], source: string, file: string): Credentials {
  const bad = (why: string) =>
    invalid(
      'REGISTRY_CREDENTIALS_INVALID',
      `${source}: ${why}.`,
      'Run docker login again, or write "auth" as base64 of user:password.',
      file,
    );
  if (entry.identitytoken)
    return { identityToken: entry.identitytoken, ...(entry.username && { username: entry.username }), source };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0 || !/^[A-Za-z0-9+/=\s]+$/.test(entry.auth)) throw bad('"auth" is not base64 of user:password');
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password, source };
  throw bad('the entry has neither "auth" nor "identitytoken"');
}

/** Asks `docker-credential-<helper> get` (the docker credential helper protocol). */
async function fromHelper(
  helper: string,
  host: string,
  ctx: { env: NodeJS.ProcessEnv; log: Logger },
): Promise<Credentials | undefined> {
  const bin = `docker-credential-${helper}`;
  const hint = `Install ${bin} on PATH, or put the registry's credentials in ${dockerConfigFile(ctx.env)} under "auths" (docker login --password-stdin with credsStore unset).`;
  if (!/^[A-Za-z0-9_.-]+$/.test(helper)) {
    throw invalid(
      'REGISTRY_CREDENTIAL_HELPER_FAILED',
      `The credential helper name ${quote(helper)} is not valid.`,
      hint,
      helper,
    );
  }
  const server = host === HUB_HOST ? (HUB_KEYS[0] as string) : host;
  try {
    const r = await exec([bin, 'get'], { cwd: '/', env: ctx.env, log: ctx.log, input: server, timeoutMs: 30_000 });
    const out = JSON.parse(r.stdout) as { Username?: string; Secret?: string };
    if (!out.Secret) return undefined;
    const source = `credential helper ${bin}`;
    // The helper protocol marks an identity token with the user name "<token>".
    if (out.Username === '<token>') return { identityToken: out.Secret, source };
    return { ...(out.Username && { username: out.Username }), password: out.Secret, source };
  } catch (e) {
    // "credentials not found": anonymous access, as docker does.
    if (e instanceof ExecError && /not found/i.test(`${e.stdout}${e.stderr}`)) return undefined;
    const why =
      e instanceof GitopsError
        ? `${bin} is not on PATH`
        : e instanceof ExecError
          ? `${bin} exited with ${e.exitCode}`
          : `${bin} did not print JSON`;
    throw invalid(
      'REGISTRY_CREDENTIAL_HELPER_FAILED',
      `Could not get credentials for ${host} from the credential helper ${quote(helper)}: ${why}.`,
      hint,
      bin,
    );
  }
}
