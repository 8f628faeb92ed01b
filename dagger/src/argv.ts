/**
 * The gitops-flow command line each Dagger function runs: one small pure function per verb, so the
 * contract tests can run exactly these argv through the real CLI (test/integration/dagger-argv.test.ts).
 * No Dagger import here: nothing in this file needs an engine.
 */

/** Where the functions put the env repo inside the toolbox container. */
export const REPO_DIR = '/repo';

/** Global options, which go before the verb (as in git). */
export interface Globals {
  /** The env repo working copy (`-C`). */
  repoDir: string;
  /** Change nothing: no commit, no push; applies are server dry-runs. */
  dryRun?: boolean;
}

export interface RenderArgs extends Globals {
  env: string;
  ref?: string;
}

export interface SuggestArgs {
  envRepo: string;
  env: string;
  images: string[];
  targetBranch?: string;
  pushToTarget?: boolean;
  /** `push-options` or `api` (GitLab; GitHub always uses the API). */
  mergeRequest?: string;
  upstreamProject?: string;
  upstreamCommit?: string;
  upstreamRef?: string;
  upstreamPipeline?: string;
  upstreamPipelineUrl?: string;
  upstreamMessage?: string;
  /** Resolve each tag to its manifest digest and write both. */
  pinDigest?: boolean;
  dryRun?: boolean;
}

export interface DeployArgs extends Globals {
  env: string;
  ref?: string;
  timeout?: string;
  lastGood?: string;
}

export interface PromoteArgs extends Globals {
  from: string;
  to: string;
  images?: string[];
  noDeploy?: boolean;
  noPush?: boolean;
  timeout?: string;
  force?: boolean;
}

export interface RollbackArgs extends Globals {
  env: string;
  to?: string;
  reason?: string;
  noDeploy?: boolean;
  noPush?: boolean;
  timeout?: string;
}

export interface RestoreArgs extends Globals {
  /** One environment, or every one with `allEnvs`. */
  env?: string;
  allEnvs?: boolean;
  at: string;
  noDeploy?: boolean;
  noPush?: boolean;
  timeout?: string;
}

export interface StatusArgs extends Globals {
  noCluster?: boolean;
}

export interface HistoryArgs extends Globals {
  env?: string;
  since?: string;
  limit?: number;
}

export type DoctorArgs = Globals;

export interface RunArgs extends Globals {
  /** A pipeline of the env repo's gitops-flow.yaml. */
  pipeline: string;
  /** `name=value` each. */
  inputs?: string[];
  env?: string;
}

/** Every verb the module exposes, and whether it changes something outside its inputs (git remote, cluster). */
export const VERBS = {
  render: { sideEffects: false },
  suggest: { sideEffects: true },
  deploy: { sideEffects: true },
  promote: { sideEffects: true },
  rollback: { sideEffects: true },
  restore: { sideEffects: true },
  // status and doctor only read, but what they read (clusters, remotes) changes under them: never cached.
  status: { sideEffects: true },
  history: { sideEffects: false },
  doctor: { sideEffects: true },
  // A pipeline's steps deploy, push and run commands.
  run: { sideEffects: true },
} as const;

export type Verb = keyof typeof VERBS;

const opt = (flag: string, value: string | number | undefined): string[] =>
  value === undefined || value === '' ? [] : [flag, String(value)];
const flag = (name: string, on: boolean | undefined): string[] => (on ? [name] : []);
const globals = (g: Globals, json = false): string[] => [
  '-C',
  g.repoDir,
  ...flag('--json', json),
  ...flag('--dry-run', g.dryRun),
];

export function renderArgv(a: RenderArgs): string[] {
  return [...globals(a), 'render', '--env', a.env, ...opt('--ref', a.ref)];
}

/** suggest clones the env repo itself (no `-C`); CI facts come as flags since a container sees no CI_* variables. */
export function suggestArgv(a: SuggestArgs): string[] {
  return [
    '--json',
    ...flag('--dry-run', a.dryRun),
    'suggest',
    '--env-repo',
    a.envRepo,
    '--env',
    a.env,
    ...a.images.flatMap((i) => ['--image', i]),
    ...opt('--target-branch', a.targetBranch),
    ...flag('--push-to-target', a.pushToTarget),
    ...flag('--pin-digest', a.pinDigest),
    ...opt('--merge-request', a.mergeRequest),
    ...opt('--upstream-project', a.upstreamProject),
    ...opt('--upstream-commit', a.upstreamCommit),
    ...opt('--upstream-ref', a.upstreamRef),
    ...opt('--upstream-pipeline', a.upstreamPipeline),
    ...opt('--upstream-pipeline-url', a.upstreamPipelineUrl),
    ...opt('--upstream-message', a.upstreamMessage),
  ];
}

export function deployArgv(a: DeployArgs): string[] {
  return [
    ...globals(a),
    'deploy',
    '--env',
    a.env,
    ...opt('--ref', a.ref),
    ...opt('--timeout', a.timeout),
    ...opt('--last-good', a.lastGood),
  ];
}

export function promoteArgv(a: PromoteArgs): string[] {
  return [
    ...globals(a),
    'promote',
    '--from',
    a.from,
    '--to',
    a.to,
    ...(a.images ?? []).flatMap((i) => ['--image', i]),
    ...flag('--no-deploy', a.noDeploy),
    ...flag('--no-push', a.noPush),
    ...opt('--timeout', a.timeout),
    ...flag('--force', a.force),
  ];
}

export function rollbackArgv(a: RollbackArgs): string[] {
  return [
    ...globals(a),
    'rollback',
    '--env',
    a.env,
    ...opt('--to', a.to),
    ...opt('--reason', a.reason),
    ...flag('--no-deploy', a.noDeploy),
    ...flag('--no-push', a.noPush),
    ...opt('--timeout', a.timeout),
  ];
}

export function restoreArgv(a: RestoreArgs): string[] {
  return [
    ...globals(a),
    'restore',
    ...opt('--env', a.env),
    ...flag('--all-envs', a.allEnvs),
    '--at',
    a.at,
    ...flag('--no-deploy', a.noDeploy),
    ...flag('--no-push', a.noPush),
    ...opt('--timeout', a.timeout),
  ];
}

export function statusArgv(a: StatusArgs): string[] {
  return [...globals(a, true), 'status', ...flag('--no-cluster', a.noCluster)];
}

export function historyArgv(a: HistoryArgs): string[] {
  return [
    ...globals(a, true),
    'history',
    ...opt('--env', a.env),
    ...opt('--since', a.since),
    ...opt('--limit', a.limit),
  ];
}

export function runArgv(a: RunArgs): string[] {
  return [...globals(a), 'run', a.pipeline, ...(a.inputs ?? []).flatMap((i) => ['--input', i]), ...opt('--env', a.env)];
}

export function doctorArgv(a: DoctorArgs): string[] {
  return [...globals(a, true), 'doctor'];
}

/**
 * The shell script that clones the env repo when a function gets a URL instead of a Directory:
 * `sh -c CLONE_SCRIPT clone <url> <branch> <dir>`. The token (GITOPS_FLOW_GIT_TOKEN, a secret variable)
 * reaches git the way the CLI passes it: an http.extraHeader in git's environment, never argv or config.
 */
export const CLONE_SCRIPT = [
  'set -eu',
  'if [ -n "${GITOPS_FLOW_GIT_TOKEN:-}" ]; then',
  '  GIT_CONFIG_VALUE_0="Authorization: Basic $(printf \'oauth2:%s\' "$GITOPS_FLOW_GIT_TOKEN" | base64 | tr -d \'\\n\')"',
  '  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader GIT_CONFIG_VALUE_0',
  'fi',
  'git clone --quiet --no-tags --branch "$2" -- "$1" "$3"',
].join('\n');

/** The argv that clones `url` at `branch` into `dir` (see CLONE_SCRIPT). */
export function cloneArgv(url: string, branch: string, dir: string = REPO_DIR): string[] {
  return ['sh', '-c', CLONE_SCRIPT, 'clone', url, branch, dir];
}
