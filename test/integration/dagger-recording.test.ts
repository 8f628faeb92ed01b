/**
 * The Dagger module driven by the real TypeScript SDK (@dagger.io/dagger, through the entrypoint the
 * engine's TypeScript runtime runs) against a recording GraphQL session instead of an engine: the module
 * registers its functions, its object is constructed with the shared arguments, then each function is
 * called as `dagger call` would, and the recipe the SDK sends is checked — secrets only as secrets, the
 * CI context handed to the CLI, side effects never cached, the CLI run with its verb's argv. No engine can
 * run here (docs/ci-and-dagger.md); `npm run test:dagger` runs the same functions on a real one. The
 * toolbox's own recipe: dagger-toolbox-recording.test.ts.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { verbArgv } from '../../dagger/src/argv.js';
import { cliExec } from '../../dagger/src/preflight.js';
import { CI_VARIABLES, type DaggerVerb, daggerName, type OptionSpec, VERBS } from '../../src/cli/verbs.js';
import { call, construct, constructorArgs, functions, ids, recipe, register } from '../helpers/dagger-calls.js';
import { secretMisuses, stepsNamed } from '../helpers/dagger-recipe.js';
import { address, type Chain, hostDir, hostFile, secret, service, socket } from '../helpers/dagger-recorder.js';
import { REPO_ROOT } from '../helpers/git-fixtures.js';

// Each recording starts the module as the engine would (tsx, the SDK, a scan of the sources): seconds each.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const DAGGER_VERBS = Object.entries(VERBS).flatMap(([v, s]) => ('dagger' in s ? [v as DaggerVerb] : []));
const ENV_REPO = join(REPO_ROOT, 'examples/env-repo');
const TOOLBOX = `registry.internal/gitops-flow/toolbox:0.1.0@sha256:${'c'.repeat(64)}`;
const camel = (name: string) => name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
/** A GitLab job's CI facts, as the Dagger components pass them (secrets as env:// secrets). */
const CI = Object.fromEntries(
  CI_VARIABLES.map((v) => [camel(v.name), v.secret ? ids.id(secret(v.name)) : `${v.name.toLowerCase()}-value`]),
);

let registration: Chain;
/** Every shared argument given, as in a GitLab job with a cluster, SSH and run: step secrets. */
let full: Record<string, unknown>;

/** Values for every option of a verb (what `dagger call <verb>` would get with all its flags). */
function allValues(verb: DaggerVerb): Record<string, string | number | boolean | string[]> {
  const spec = VERBS[verb];
  return Object.fromEntries([
    ...('arguments' in spec ? spec.arguments : []).map((a) => [a.name, 'release']),
    ...(spec.options as readonly OptionSpec[])
      .filter((o) => o.dagger !== false)
      .map((o) => [
        daggerName(o),
        o.kind === 'boolean'
          ? true
          : o.kind === 'list'
            ? ['app=registry.example.com/app:1']
            : o.kind === 'int'
              ? 3
              : (o.choices?.[0] ?? 'x'),
      ]),
  ]);
}

beforeAll(async () => {
  registration = await register();
  full = await construct({
    source: ids.id(hostDir(REPO_ROOT)),
    toolbox: ids.id(address(TOOLBOX)),
    repo: ids.id(hostDir(ENV_REPO)),
    gitToken: ids.id(secret('GITOPS_FLOW_GIT_TOKEN')),
    kubeconfig: ids.id(secret('KUBECONFIG')),
    gcpKey: ids.id(secret('GCP_KEY')),
    dockerConfig: ids.id(secret('DOCKER_CONFIG')),
    hostServices: [ids.id(service('tcp://localhost:6443')), ids.id(service('tcp://localhost:8080'))],
    sshAuthSocket: ids.id(socket('/run/user/1000/ssh-agent')),
    knownHosts: ids.id(hostFile('/home/me/.ssh/known_hosts')),
    secretNames: ['SMOKE_TOKEN'],
    secretValues: [ids.id(secret('SMOKE_TOKEN'))],
    verbose: true,
    ...CI,
  });
});

describe('recording: the module as the SDK registers it', () => {
  it('recording: one function per verb of src/cli/verbs.ts, never cached when it has side effects, documented', () => {
    const fns = functions(registration);
    expect(fns.map((f) => f.name).sort()).toEqual(['toolbox', ...DAGGER_VERBS].sort());
    for (const f of fns) {
      expect(f.description, f.name).toBeTruthy();
      for (const [name, a] of Object.entries(f.args)) expect(a.description, `${f.name}(${name})`).toBeTruthy();
      if (f.name === 'toolbox') continue;
      expect(f.cache, f.name).toBe(VERBS[f.name as DaggerVerb].dagger.sideEffects ? 'Never' : 'PerSession');
    }
  });

  it('recording: the shared arguments are the constructor: env repo, credentials as Secrets, every CI variable', () => {
    const args = constructorArgs(registration);
    const kind = (name: string) => JSON.stringify(args[name]?.typeDef);
    for (const v of CI_VARIABLES) expect(kind(camel(v.name)), v.name).toContain(v.secret ? '"Secret"' : '"STRING"');
    for (const s of ['gitToken', 'kubeconfig', 'gcpKey', 'dockerConfig']) expect(kind(s), s).toContain('"Secret"');
    expect(kind('hostServices')).toContain('"Service"');
    expect(kind('sshAuthSocket')).toContain('"Socket"');
    expect(kind('toolbox')).toContain('"Container"');
    expect(args.source).toMatchObject({ defaultPath: '/' });
    expect(args.source?.ignore).toEqual(expect.arrayContaining(['.git', '**/node_modules', 'dist']));
  });
});

describe('recording: every function', () => {
  const recipes = new Map<DaggerVerb, Chain>();
  /** The services each call started (the engine answers a host service's ports only once it runs). */
  const started = new Map<DaggerVerb, Chain[]>();
  beforeAll(async () => {
    // Two recordings at a time (each is mostly one process's CPU).
    for (let i = 0; i < DAGGER_VERBS.length; i += 2) {
      await Promise.all(
        DAGGER_VERBS.slice(i, i + 2).map(async (verb) => {
          const dry = 'dryRun' in VERBS[verb].dagger ? { dryRun: true } : {};
          const rec = await call(full, verb, { ...allValues(verb), ...dry });
          recipes.set(verb, recipe(rec));
          started.set(
            verb,
            rec.executed.filter((e) => e.leaf === 'start').map((e) => e.chain),
          );
        }),
      );
    }
  });

  it.each(DAGGER_VERBS)(
    'recording: %s runs the CLI with its argv in the given toolbox, secrets only as secrets',
    (verb) => {
      const chain = recipes.get(verb) as Chain;
      const spec = VERBS[verb].dagger;
      expect(chain.slice(0, 2)).toEqual(address(TOOLBOX));
      expect(secretMisuses(chain)).toEqual([]);
      const execs = stepsNamed(chain, 'withExec');
      const argv = verbArgv(verb, allValues(verb), {
        repoDir: 'clones' in spec ? undefined : '/repo',
        dryRun: true,
        verbose: true,
      });
      expect(execs.at(-1)?.args.args).toEqual(cliExec(argv));
      // Only verbs whose pipelines run run: steps (which may name an image:) get the engine session.
      expect(execs.at(-1)?.args.experimentalPrivilegedNesting, verb).toBe('nests' in spec ? true : undefined);
      if (spec.returns === 'repo') expect(chain.at(-1)).toEqual({ field: 'directory', args: { path: '/repo' } });
      else expect(chain.at(-1)?.field).toBe('withExec');
      const env = Object.fromEntries(stepsNamed(chain, 'withEnvVariable').map((s) => [s.args.name, s.args.value]));
      if (spec.sideEffects) expect(env.GITOPS_FLOW_INVOCATION).toMatch(/^\d+-[a-z0-9]+$/);
      else expect(env.GITOPS_FLOW_INVOCATION).toBeUndefined();
    },
  );

  it.each(DAGGER_VERBS)(
    'recording: %s gets the CI context and the credentials as the CLI reads them natively',
    (verb) => {
      const chain = recipes.get(verb) as Chain;
      const env = Object.fromEntries(stepsNamed(chain, 'withEnvVariable').map((s) => [s.args.name, s.args.value]));
      const secrets = Object.fromEntries(
        stepsNamed(chain, 'withSecretVariable').map((s) => [s.args.name, s.args.secret]),
      );
      const mounts = Object.fromEntries(
        stepsNamed(chain, 'withMountedSecret').map((s) => [s.args.path, s.args.source]),
      );
      for (const v of CI_VARIABLES) {
        if (v.secret) expect(secrets[v.name], v.name).toEqual(secret(v.name));
        else expect(env[v.name], v.name).toBe(`${v.name.toLowerCase()}-value`);
      }
      expect(secrets.GITOPS_FLOW_GIT_TOKEN).toEqual(secret('GITOPS_FLOW_GIT_TOKEN'));
      expect(secrets.SMOKE_TOKEN).toEqual(secret('SMOKE_TOKEN'));
      expect(mounts[env.KUBECONFIG as string]).toEqual(secret('KUBECONFIG'));
      expect(mounts[`${env.DOCKER_CONFIG}/config.json`]).toEqual(secret('DOCKER_CONFIG'));
      expect(mounts[env.GOOGLE_APPLICATION_CREDENTIALS as string]).toEqual(secret('GCP_KEY'));
      expect(env.CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE).toBe(env.GOOGLE_APPLICATION_CREDENTIALS);
      expect(stepsNamed(chain, 'withServiceBinding').map((s) => [s.args.alias, s.args.service])).toEqual([
        ['host-0', service('tcp://localhost:6443')],
        ['host-1', service('tcp://localhost:8080')],
      ]);
      expect(started.get(verb)).toEqual([service('tcp://localhost:6443'), service('tcp://localhost:8080')]);
      // Inside, 127.0.0.1:<port> reaches each (the preflight's forwarders).
      expect(env.GITOPS_FLOW_FORWARDS).toBe('6443=host-0 8080=host-1');
      const sock = stepsNamed(chain, 'withUnixSocket')[0];
      expect(sock?.args).toEqual({ path: env.SSH_AUTH_SOCK, source: socket('/run/user/1000/ssh-agent') });
      const hosts = stepsNamed(chain, 'withMountedFile')[0];
      expect(hosts?.args.source).toEqual(hostFile('/home/me/.ssh/known_hosts'));
      expect(env.GIT_SSH_COMMAND).toBe(`ssh -o UserKnownHostsFile=${hosts?.args.path} -o StrictHostKeyChecking=yes`);
      const repo = stepsNamed(chain, 'withDirectory').filter((s) => s.args.path === '/repo');
      if ('clones' in VERBS[verb].dagger) expect(repo).toEqual([]);
      else expect(repo.map((s) => s.args.source)).toEqual([hostDir(ENV_REPO)]);
    },
  );
});

describe('recording: the env repo', () => {
  it('recording: from a URL it is cloned on every call, even for a function served per session', async () => {
    const parent = await construct({
      source: ids.id(hostDir(REPO_ROOT)),
      toolbox: ids.id(address(TOOLBOX)),
      repoUrl: 'https://gitlab.example.com/team/env.git',
      branch: 'release',
    });
    const clone = async () => {
      const chain = recipe(await call(parent, 'render', { env: 'dev' }));
      const i = chain.findIndex((s) => s.field === 'withExec' && (s.args.args as string[])[3] === 'clone');
      expect(((chain[i] as Chain[number]).args.args as string[]).slice(-3)).toEqual([
        'https://gitlab.example.com/team/env.git',
        'release',
        '/repo',
      ]);
      return stepsNamed(chain.slice(0, i), 'withEnvVariable').filter((s) => s.args.name === 'GITOPS_FLOW_INVOCATION');
    };
    const [a, b] = await Promise.all([clone(), clone()]);
    expect(a).toHaveLength(1);
    expect(a).not.toEqual(b);
  });

  it('recording: without --repo or --repo-url a function says what to pass', async () => {
    const parent = await construct({ source: ids.id(hostDir(REPO_ROOT)), toolbox: ids.id(address(TOOLBOX)) });
    const rec = await call(parent, 'status', {}, { failing: true });
    expect(rec.error).toMatch(/Pass the env repo: --repo <dir> .* or --repo-url <clone URL>, before the function name/);
  });

  it('recording: the secret check is not vacuous (a secret as an exec argument or read as plaintext is caught)', () => {
    const leak: Chain = [
      { field: 'container', args: {} },
      { field: 'withExec', args: { args: ['echo'], stdin: secret('X') } },
    ];
    expect(secretMisuses(leak)).toEqual(['withExec.stdin']);
    expect(secretMisuses([...secret('X'), { field: 'plaintext', args: {} }])).toEqual(['secret.plaintext']);
  });
});
