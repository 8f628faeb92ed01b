/**
 * Which forge hosts the env repo, where its API is, which project, and which token: from gitops-flow.yaml
 * (`git.forge`, `git.forgeUrl`), the remote URL, and the CI facts GitLab and GitHub give a job.
 */
import { invalid, quote } from '../../core/errors.js';
import { isLoopback } from '../../core/loopback.js';

export type ForgeKind = 'gitlab' | 'github';

export interface ForgeSettings {
  forge?: ForgeKind;
  /** The forge's web base URL, e.g. https://gitlab.example.com or https://example.com/gitlab. */
  forgeUrl?: string;
}

export interface ForgeTarget {
  kind: ForgeKind;
  /** Web base URL, no trailing slash. */
  webUrl: string;
  /** REST API base, no trailing slash. */
  apiUrl: string;
  /** GitLab: the project path ("group/sub/env") or numeric id; GitHub: "owner/repo". */
  project: string;
  token: string;
  tokenVariable: string;
}

/** Token variables in order of preference: a dedicated one, the forge's usual one, the git one. */
export const TOKEN_VARIABLES: Record<ForgeKind, string[]> = {
  gitlab: ['GITOPS_FLOW_GITLAB_TOKEN', 'GITLAB_TOKEN', 'GITOPS_FLOW_GIT_TOKEN'],
  github: ['GITOPS_FLOW_GITHUB_TOKEN', 'GITHUB_TOKEN', 'GH_TOKEN', 'GITOPS_FLOW_GIT_TOKEN'],
};

/** What each forge's token needs, for hints. */
export const SCOPES: Record<ForgeKind, string> = {
  gitlab: 'the api scope (a project or group access token, Developer role or higher)',
  github: 'Pull requests: write and Contents: write (fine-grained token or GitHub App)',
};

interface RemoteParts {
  host: string;
  /** scheme://host[:port] for http(s) remotes; https://host for ssh ones. */
  origin: string;
  /** Path without leading "/" and without ".git". */
  path: string;
}

/** Splits an env repo URL into host and path; undefined for file:// and local paths. */
export function parseRemote(url: string): RemoteParts | undefined {
  const scp = /^[\w.-]+@([\w.-]+):(?!\/\/)(.+)$/.exec(url);
  if (scp)
    return { host: (scp[1] as string).toLowerCase(), origin: `https://${scp[1]}`, path: trimPath(scp[2] as string) };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (!['http:', 'https:', 'ssh:', 'git:'].includes(u.protocol)) return undefined;
  const origin = u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : `https://${u.hostname}`;
  return { host: u.hostname.toLowerCase(), origin, path: trimPath(decodeURIComponent(u.pathname)) };
}

const trimPath = (p: string) => p.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
const hostOf = (url: string | undefined) => {
  try {
    return url ? new URL(url).hostname.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
};
const hostAndPort = (url: string) => {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
};
const noSlash = (u: string) => u.replace(/\/+$/, '');

/** GitHub for github.com and $GITHUB_SERVER_URL's host (or `git.forge: github`); GitLab otherwise. */
export function forgeKind(remoteUrl: string, s: ForgeSettings, env: NodeJS.ProcessEnv): ForgeKind {
  const host = parseRemote(remoteUrl)?.host;
  return (
    s.forge ??
    (host !== undefined && (host === 'github.com' || hostOf(env.GITHUB_SERVER_URL) === host) ? 'github' : 'gitlab')
  );
}

/** The forge of an env repo URL (for suggest). Throws exit 2 when it cannot be worked out. */
export function forgeForRemote(
  remoteUrl: string,
  s: ForgeSettings,
  env: NodeJS.ProcessEnv,
): Omit<ForgeTarget, 'token' | 'tokenVariable'> {
  const remote = parseRemote(remoteUrl);
  if (!remote) {
    throw invalid(
      'FORGE_URL_UNKNOWN',
      `Cannot tell which forge hosts ${quote(remoteUrl)}: merge requests through the API need an https or ssh URL.`,
      'Use the https (or ssh) clone URL of the env repo, or the push-options mode (git.mergeRequest.mode: push-options).',
      remoteUrl,
    );
  }
  const kind = forgeKind(remoteUrl, s, env);
  const ciServer = kind === 'gitlab' ? env.CI_SERVER_URL : env.GITHUB_SERVER_URL;
  // Where the API token goes: a forge URL the caller gives (GITOPS_FLOW_FORGE_URL), else the env repo's
  // own host — git.forgeUrl of the env repo's config only adds a path on that same host, never another host.
  const callerUrl = env.GITOPS_FLOW_FORGE_URL || undefined;
  const configured = s.forgeUrl && trustedForgeUrl(s.forgeUrl, remote, /^https?:\/\//i.test(remoteUrl));
  const webUrl = noSlash(
    callerUrl ?? configured ?? (hostOf(ciServer) === remote.host ? (ciServer as string) : remote.origin),
  );
  // The API token goes there in a header: never in clear over the network.
  if (new URL(webUrl).protocol === 'http:' && !isLoopback(new URL(webUrl).host)) {
    throw invalid(
      'FORGE_URL_INSECURE',
      `The ${kind === 'gitlab' ? 'GitLab' : 'GitHub'} API at ${quote(webUrl)} is plain http: the token would cross the network in clear.`,
      'Use the https clone URL of the env repo (or an https git.forgeUrl).',
      webUrl,
    );
  }
  // A forge under a path (https://example.com/gitlab) puts that prefix before the project path.
  const prefix = trimPath(new URL(webUrl).pathname);
  const project = prefix && remote.path.startsWith(`${prefix}/`) ? remote.path.slice(prefix.length + 1) : remote.path;
  if (!/^[^/]+(\/[^/]+)+$/.test(project) || (kind === 'github' && project.split('/').length !== 2)) {
    throw invalid(
      'FORGE_URL_UNKNOWN',
      `Cannot find the ${kind === 'gitlab' ? 'GitLab project' : 'GitHub repository'} in ${quote(remoteUrl)}.`,
      `Use the clone URL of the env repo (${kind === 'gitlab' ? 'https://gitlab.example.com/group/env.git' : 'https://github.com/owner/env.git'}), and set git.forgeUrl when the forge lives under a path.`,
      remoteUrl,
    );
  }
  return { kind, webUrl, apiUrl: apiUrlFor(kind, webUrl, env), project };
}

/**
 * git.forgeUrl from the env repo's config, allowed only on the env repo's own host — and, for an
 * http(s) remote, its own port (another port is another service, maybe another owner): else exit 2.
 * An ssh remote says nothing of the forge's https port, so there the host alone must match.
 */
function trustedForgeUrl(url: string, remote: RemoteParts, http: boolean): string {
  const remoteHost = http ? (hostAndPort(remote.origin) as string) : remote.host;
  if (hostOf(url) === remote.host && (!http || hostAndPort(url) === remoteHost)) return url;
  throw invalid(
    'FORGE_URL_UNTRUSTED',
    `git.forgeUrl ${quote(url)} in gitops-flow.yaml names another host (or port) than the env repo (${remoteHost}): the API token goes only to the env repo's forge or one the caller names.`,
    "Remove git.forgeUrl (or make it the env repo's own host, e.g. https://host/gitlab); a forge elsewhere is the caller's choice: set GITOPS_FLOW_FORGE_URL in the job.",
    url,
  );
}

function apiUrlFor(kind: ForgeKind, webUrl: string, env: NodeJS.ProcessEnv): string {
  if (kind === 'gitlab') {
    return env.CI_API_V4_URL && env.CI_SERVER_URL && noSlash(env.CI_SERVER_URL) === webUrl
      ? noSlash(env.CI_API_V4_URL)
      : `${webUrl}/api/v4`;
  }
  if (env.GITHUB_API_URL && env.GITHUB_SERVER_URL && noSlash(env.GITHUB_SERVER_URL) === webUrl)
    return noSlash(env.GITHUB_API_URL);
  return hostOf(webUrl) === 'github.com' ? 'https://api.github.com' : `${webUrl}/api/v3`;
}

/** The token for a forge, or exit 2 naming the variables to set (before anything is pushed). */
export function forgeToken(kind: ForgeKind, env: NodeJS.ProcessEnv): { token: string; tokenVariable: string } {
  const tokenVariable = TOKEN_VARIABLES[kind].find((k) => env[k]);
  if (tokenVariable) return { token: env[tokenVariable] as string, tokenVariable };
  const names = TOKEN_VARIABLES[kind].join(', ');
  const jobToken =
    kind === 'gitlab' && env.CI_JOB_TOKEN ? ' CI_JOB_TOKEN is set but cannot create or update merge requests;' : '';
  throw invalid(
    'FORGE_TOKEN_MISSING',
    `No ${kind === 'gitlab' ? 'GitLab' : 'GitHub'} API token: set one of ${names}.`,
    `${jobToken} create a token with ${SCOPES[kind]} and store it as a ${kind === 'gitlab' ? 'masked CI/CD variable' : 'secret'} named ${TOKEN_VARIABLES[kind][0]}.`.trim(),
    names,
  );
}

/** How suggest opens its merge request: GitLab push options, or the forge's API (always on GitHub). */
export function mergeRequestMode(
  kind: ForgeKind,
  flag: string | undefined,
  configured: 'push-options' | 'api' | undefined,
): 'push-options' | 'api' {
  if (kind === 'github') {
    if (flag === 'push-options') {
      throw invalid(
        'MERGE_REQUEST_MODE_INVALID',
        'Push options open merge requests on GitLab only; this env repo is on GitHub.',
        'Drop --merge-request push-options: on GitHub suggest always opens the pull request through the API.',
        flag,
      );
    }
    return 'api';
  }
  return flag === 'api' || flag === 'push-options' ? flag : (configured ?? 'push-options');
}

/** Does this pipeline run for a merge request (GitLab) or a pull request (GitHub)? */
export function isMergeRequestPipeline(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.CI_MERGE_REQUEST_IID) || /^refs\/pull\/\d+\/(merge|head)$/.test(env.GITHUB_REF ?? '');
}

/** The merge request of a pipeline that runs for one (deploy's comment), from the CI facts; else undefined. */
export function pipelineMergeRequest(
  env: NodeJS.ProcessEnv,
  _settings: ForgeSettings = {},
): (Omit<ForgeTarget, 'token' | 'tokenVariable'> & { number: number }) | undefined {
  // Only the job's facts (the caller's): the env repo's git.forgeUrl never decides where the token goes.
  const caller = env.GITOPS_FLOW_FORGE_URL || undefined;
  if (env.CI_MERGE_REQUEST_IID && (env.CI_API_V4_URL || env.CI_SERVER_URL || caller)) {
    const webUrl = noSlash(env.CI_SERVER_URL ?? caller ?? (env.CI_API_V4_URL as string).replace(/\/api\/v4\/?$/, ''));
    const apiUrl = env.CI_API_V4_URL ? noSlash(env.CI_API_V4_URL) : `${webUrl}/api/v4`;
    const project =
      env.CI_MERGE_REQUEST_PROJECT_ID ?? env.CI_PROJECT_ID ?? env.CI_MERGE_REQUEST_PROJECT_PATH ?? env.CI_PROJECT_PATH;
    if (!project) return undefined;
    return { kind: 'gitlab', webUrl, apiUrl, project, number: Number(env.CI_MERGE_REQUEST_IID) };
  }
  const pr = /^refs\/pull\/(\d+)\/(merge|head)$/.exec(env.GITHUB_REF ?? '');
  if (pr && env.GITHUB_REPOSITORY) {
    const webUrl = noSlash(env.GITHUB_SERVER_URL ?? caller ?? 'https://github.com');
    return {
      kind: 'github',
      webUrl,
      apiUrl: noSlash(env.GITHUB_API_URL ?? apiUrlFor('github', webUrl, env)),
      project: env.GITHUB_REPOSITORY,
      number: Number(pr[1]),
    };
  }
  return undefined;
}
