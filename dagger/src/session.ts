/**
 * One function call of the module: the toolbox, with the env repo, the credentials and the CI context of
 * the module's shared arguments (its constructor), then the CLI with the verb's argv. The generated
 * functions (index.ts) all come here, so what every call shares is written once.
 */
import {
  type Container,
  type Directory,
  type File,
  ReturnType,
  type Secret,
  type Service,
  type Socket,
} from '@dagger.io/dagger';
import { CI_VARIABLES, type DaggerSpec, type DaggerVerb, VERBS } from '../../src/cli/verbs.js';
import { cloneArgv, REPO_DIR, type Values, verbArgv } from './argv.js';
import { cliExec } from './preflight.js';
import { resolveToolbox } from './toolbox.js';

/** Where secrets and host resources are mounted: files the CLI reads, never environment values. */
const KUBECONFIG_PATH = '/run/secrets/kubeconfig';
const DOCKER_CONFIG_DIR = '/run/secrets/docker';
const GCP_KEY_PATH = '/run/secrets/gcp-key.json';
const KNOWN_HOSTS_PATH = '/run/gitops-flow/known_hosts';
const SSH_AUTH_SOCK = '/run/gitops-flow/ssh-agent.sock';

/** The module's shared arguments, as its object keeps them (the CI variables by their camelCase names too). */
export interface Shared {
  source: Directory;
  toolboxImage?: Container;
  buildToolbox: boolean;
  mirrors: string[];
  downloadMirror?: string;
  repo?: Directory;
  repoUrl?: string;
  branch: string;
  gitToken?: Secret;
  kubeconfig?: Secret;
  gcpKey?: Secret;
  dockerConfig?: Secret;
  hostServices: Service[];
  sshAuthSocket?: Socket;
  knownHosts?: File;
  secretNames: string[];
  secretValues: Secret[];
  verbose: boolean;
  /** The plain CI variables given, each NAME=value (the secret ones are fields of their own). */
  ciVariables: string[];
}

/** `CI_PROJECT_PATH` → `ciProjectPath`: the argument that carries a CI variable. */
export const ciArgument = (name: string): string =>
  name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A value that differs on every call: side effects must run again, not come from the engine's cache. */
function invocationId(): string {
  return `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/**
 * The constructor's plain CI arguments (by their camelCase names) as NAME=value, those given only: kept in
 * one field of the object, so the generated class does not declare and assign each one.
 */
export function ciVariables(values: Record<string, string | undefined>): string[] {
  return CI_VARIABLES.filter((v) => !v.secret && values[ciArgument(v.name)]).map(
    (v) => `${v.name}=${values[ciArgument(v.name)]}`,
  );
}

/** The CI context: plain facts as environment variables, credentials as secret variables. */
function withCi(c: Container, s: Shared): Container {
  const state = s as unknown as Record<string, Secret | undefined>;
  let out = c;
  for (const entry of s.ciVariables) {
    const [name = '', value = ''] = entry.split(/=(.*)/s);
    // Only the variables the CLI reads (the state is the module's own, but a name is never trusted).
    if (CI_VARIABLES.some((v) => v.name === name && !v.secret)) out = out.withEnvVariable(name, value);
  }
  for (const v of CI_VARIABLES) {
    const secret = v.secret ? state[ciArgument(v.name)] : undefined;
    if (secret) out = out.withSecretVariable(v.name, secret);
  }
  return out;
}

/** The toolbox with everything a call of `spec` needs, the env repo at REPO_DIR (unless the CLI clones it). */
export async function prepare(s: Shared, spec: DaggerSpec): Promise<Container> {
  let c = await resolveToolbox(s);
  if (s.kubeconfig)
    c = c.withMountedSecret(KUBECONFIG_PATH, s.kubeconfig).withEnvVariable('KUBECONFIG', KUBECONFIG_PATH);
  if (s.gitToken) c = c.withSecretVariable('GITOPS_FLOW_GIT_TOKEN', s.gitToken);
  if (s.dockerConfig)
    c = c
      .withMountedSecret(`${DOCKER_CONFIG_DIR}/config.json`, s.dockerConfig)
      .withEnvVariable('DOCKER_CONFIG', DOCKER_CONFIG_DIR);
  if (s.gcpKey)
    c = c
      .withMountedSecret(GCP_KEY_PATH, s.gcpKey)
      .withEnvVariable('GOOGLE_APPLICATION_CREDENTIALS', GCP_KEY_PATH)
      .withEnvVariable('CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE', GCP_KEY_PATH);
  // Services on the caller's loopback (a local cluster, a local git server): bound, and reached inside
  // at the same 127.0.0.1:<port> through the preflight's forwarders, so URLs and TLS names stay as they are.
  const forwards: string[] = [];
  for (const [i, service] of s.hostServices.entries()) {
    c = c.withServiceBinding(`host-${i}`, service);
    // The engine answers a host service's ports only once it runs (else "service … is not running").
    for (const port of await (await service.start()).ports()) forwards.push(`${await port.port()}=host-${i}`);
  }
  if (forwards.length) c = c.withEnvVariable('GITOPS_FLOW_FORWARDS', forwards.join(' '));
  if (s.sshAuthSocket)
    c = c.withUnixSocket(SSH_AUTH_SOCK, s.sshAuthSocket).withEnvVariable('SSH_AUTH_SOCK', SSH_AUTH_SOCK);
  // Host keys are checked: only the ones given are known (without them an SSH remote is refused by ssh).
  if (s.knownHosts)
    c = c
      .withMountedFile(KNOWN_HOSTS_PATH, s.knownHosts)
      .withEnvVariable('GIT_SSH_COMMAND', `ssh -o UserKnownHostsFile=${KNOWN_HOSTS_PATH} -o StrictHostKeyChecking=yes`);
  if (s.secretNames.length !== s.secretValues.length)
    throw new Error('Pass one --secret-values per --secret-names, in the same order.');
  for (const [i, name] of s.secretNames.entries()) c = c.withSecretVariable(name, s.secretValues[i] as Secret);
  c = withCi(c, s);
  // A clone reads a remote that changes under it: never from the engine's cache, even for render/history.
  if (spec.sideEffects || (s.repoUrl && !s.repo)) c = c.withEnvVariable('GITOPS_FLOW_INVOCATION', invocationId());
  if (spec.clones) return c.withWorkdir('/tmp');
  if (s.repo) return c.withDirectory(REPO_DIR, s.repo).withWorkdir(REPO_DIR);
  if (s.repoUrl) return c.withExec(cloneArgv(s.repoUrl, s.branch, REPO_DIR)).withWorkdir(REPO_DIR);
  throw new Error(
    'Pass the env repo: --repo <dir> (a working copy) or --repo-url <clone URL>, before the function name.',
  );
}

/** Runs `verb` with `values` in the prepared toolbox; the container after the CLI ran. */
async function runVerb(s: Shared, verb: DaggerVerb, values: Values, dryRun: boolean): Promise<Container> {
  const spec: DaggerSpec = VERBS[verb].dagger;
  const argv = verbArgv(verb, values, { repoDir: spec.clones ? undefined : REPO_DIR, dryRun, verbose: s.verbose });
  const c = await prepare(s, spec);
  return c.withExec(cliExec(argv), {
    ...(spec.anyExitCode && { expect: ReturnType.Any }),
    // run: steps with image: run in their own container through this session (the CLI speaks to the
    // engine); the session's token reaches no step (a credential-named variable, removed and scrubbed).
    ...(spec.nests && { experimentalPrivilegedNesting: true }),
  });
}

/** A verb that returns the env repo after the run (export it: `export --path .`). */
export async function runForRepo(s: Shared, verb: DaggerVerb, values: Values, dryRun = false): Promise<Directory> {
  return (await runVerb(s, verb, values, dryRun)).directory(REPO_DIR);
}

/** A verb that returns what the CLI printed on stdout. */
export async function runForOutput(s: Shared, verb: DaggerVerb, values: Values, dryRun = false): Promise<string> {
  return (await runVerb(s, verb, values, dryRun)).stdout();
}
