/**
 * The Dagger module driven by the real TypeScript SDK (@dagger.io/dagger, through the entrypoint the
 * engine's TypeScript runtime runs) against a recording GraphQL session instead of an engine: the module
 * registers its functions, then each function is invoked as `dagger call` would, and the recipe the SDK
 * sends is checked — images by digest, secrets only as secrets, side effects never cached, and the CLI's
 * build context enough to build it (replayed on the host). No engine can run here (see
 * docs/ci-and-dagger.md); `npm run test:dagger` runs the same functions on a real one.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { allSteps, isChain, replay, replayInclude, secretMisuses, stepsNamed } from '../helpers/dagger-recipe.js';
import { type Chain, hostDir, Ids, type Recording, record, secret, service } from '../helpers/dagger-recorder.js';
import { REPO_ROOT } from '../helpers/git-fixtures.js';

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8')) as {
  images: Record<string, string>;
};
// Each recording starts the module as the engine would (tsx, the SDK, a scan of the sources): seconds each.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });
const ids = new Ids();
const ENV_REPO = join(REPO_ROOT, 'examples/env-repo');
let registration: Chain;
let parent: Record<string, unknown>;

/** The registered functions: name, cache policy, arguments (from the typedefs the SDK sent). */
function functions(): { name: string; cache?: string; args: Record<string, Record<string, unknown>> }[] {
  return stepsNamed(registration, 'withFunction').map((f) => {
    const chain = f.args.function as Chain;
    const policy = chain.find((s) => s.field === 'withCachePolicy')?.args.policy as string | undefined;
    return {
      name: chain[0]?.args.name as string,
      ...(policy && { cache: policy }),
      args: Object.fromEntries(chain.filter((s) => s.field === 'withArg').map((s) => [s.args.name, s.args])),
    };
  });
}

/** The constructor's `source` argument as registered: the engine loads it from defaultPath minus `ignore`. */
function sourceIgnore(): string[] {
  const ctor = stepsNamed(registration, 'withConstructor')[0]?.args.function as Chain;
  const source = ctor.find((s) => s.field === 'withArg' && s.args.name === 'source');
  return source?.args.ignore as string[];
}

async function call(fnName: string, args: Record<string, unknown>): Promise<Recording> {
  const rec = await record(ids, { parentName: 'GitopsFlow', fnName, parent, args });
  expect(rec.error, rec.stderr).toBeUndefined();
  return rec;
}

/** What the engine would run for a call: the returned object's chain, or the chains whose output was read. */
function recipe(rec: Recording): Chain[] {
  if (isChain(rec.result)) return [rec.result];
  return rec.executed.filter((e) => e.leaf === 'stdout').map((e) => e.chain);
}

/** The argv of the last gitops-flow run in a recipe. */
function cliArgv(chain: Chain): string[] {
  const execs = stepsNamed(chain, 'withExec').map((s) => s.args.args as string[]);
  return (
    execs
      .filter((a) => a[0] === 'gitops-flow')
      .at(-1)
      ?.slice(1) ?? []
  );
}

/** Checks every recipe must pass: images by digest from the manifest, secrets only as secrets. */
function expectSound(chains: Chain[]): void {
  for (const chain of chains) {
    for (const from of stepsNamed(chain, 'from')) expect(Object.values(manifest.images)).toContain(from.args.address);
    expect(secretMisuses(chain)).toEqual([]);
  }
}

beforeAll(async () => {
  const reg = await record(ids);
  expect(reg.error, reg.stderr).toBeUndefined();
  registration = reg.result as Chain;
  const ctor = await record(ids, {
    parentName: 'GitopsFlow',
    fnName: '',
    args: { source: ids.id(hostDir(REPO_ROOT)) },
  });
  expect(ctor.error, ctor.stderr).toBeUndefined();
  parent = ctor.result as Record<string, unknown>;
});

describe('recording: the module as the SDK registers it', () => {
  it('recording: one function per verb, every side-effecting one never cached, render and history per session', () => {
    const fns = Object.fromEntries(functions().map((f) => [f.name, f.cache]));
    expect(Object.keys(fns).sort()).toEqual(
      [
        'toolbox',
        'render',
        'suggest',
        'deploy',
        'promote',
        'rollback',
        'restore',
        'status',
        'history',
        'doctor',
        'run',
      ].sort(),
    );
    for (const name of ['suggest', 'deploy', 'promote', 'rollback', 'restore', 'status', 'doctor', 'run'])
      expect(fns[name], name).toBe('Never');
    expect(fns.render).toBe('PerSession');
    expect(fns.history).toBe('PerSession');
  });

  it("recording: the module's own source is loaded without what the build makes or git keeps", () => {
    expect(sourceIgnore()).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });
});

describe('recording: the toolbox', () => {
  let toolbox: Chain;
  beforeAll(async () => {
    toolbox = recipe(await call('toolbox', {}))[0] as Chain;
  });

  it('recording: every image is one of ci/tools.json, by digest', () => {
    const froms = stepsNamed(toolbox, 'from').map((s) => s.args.address);
    expect(new Set(froms)).toEqual(new Set(Object.values(manifest.images)));
    expectSound([toolbox]);
  });

  it("recording: the CLI's build context builds it (replayed on the host), and what ships runs", () => {
    const ship = allSteps(toolbox).find(
      (s) => s.step.field === 'withDirectory' && s.step.args.path === '/opt/gitops-flow',
    );
    const shipped = ship?.step.args.source as Chain;
    // directory().withDirectory('.', <container>.directory('/app'), { include })
    const keep = shipped.find((s) => s.field === 'withDirectory')?.args as { source: Chain; include: string[] };
    const build = keep.source.slice(0, -1);
    expect(keep.source.at(-1)).toEqual({ field: 'directory', args: { path: '/app' } });
    expect(stepsNamed(build, 'withExec').map((s) => (s.args.args as string[]).slice(0, 3).join(' '))).toEqual([
      'npm ci --ignore-scripts',
      'npm run build',
      'npm prune --omit=dev',
    ]);
    const root = replay(build, sourceIgnore());
    const out = replayInclude(root, 'app', keep.include);
    const version = execFileSync(process.execPath, [join(out, 'bin/gitops-flow.js'), '--version'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(version.trim()).toBe(
      (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    );
  });
});

describe('recording: the functions', () => {
  it('recording: render from a working copy reads it; from a URL it clones anew on every call', async () => {
    const local = recipe(await call('render', { env: 'dev', repo: ids.id(hostDir(ENV_REPO)) }));
    expectSound(local);
    expect(cliArgv(local[0] as Chain)).toEqual(['-C', '/repo', 'render', '--env', 'dev']);
    const clone = async () => {
      const chain = recipe(
        await call('render', { env: 'dev', repoUrl: 'https://gitlab.example.com/team/env.git' }),
      )[0] as Chain;
      const i = chain.findIndex((s) => s.field === 'withExec' && (s.args.args as string[])[0] === 'sh');
      const before = chain
        .slice(0, i)
        .filter((s) => s.field === 'withEnvVariable' && s.args.name === 'GITOPS_FLOW_INVOCATION');
      return before.map((s) => s.args.value);
    };
    const [a, b] = [await clone(), await clone()];
    expect(a).toHaveLength(1);
    expect(a).not.toEqual(b);
  });

  it('recording: promote mounts the kubeconfig and the token as secrets, binds the cluster, and returns the repo', async () => {
    const rec = await call('promote', {
      from: 'dev',
      to: 'uat',
      repo: ids.id(hostDir(ENV_REPO)),
      kubeconfig: ids.id(secret('KUBECONFIG')),
      gitToken: ids.id(secret('GITOPS_FLOW_GIT_TOKEN')),
      cluster: ids.id(service('tcp://localhost:6443')),
    });
    const [chain] = recipe(rec) as [Chain];
    expectSound([chain]);
    expect(chain.at(-1)).toEqual({ field: 'directory', args: { path: '/repo' } });
    expect(cliArgv(chain)).toEqual(['-C', '/repo', 'promote', '--from', 'dev', '--to', 'uat']);
    expect(stepsNamed(chain, 'withMountedSecret').map((s) => s.args.path)).toContain('/run/secrets/kubeconfig');
    expect(stepsNamed(chain, 'withSecretVariable').map((s) => s.args.name)).toContain('GITOPS_FLOW_GIT_TOKEN');
    expect(stepsNamed(chain, 'withServiceBinding').map((s) => s.args.alias)).toEqual(['cluster']);
  });

  it('recording: the secret check is not vacuous (a secret as an exec argument is caught)', () => {
    const leak: Chain = [
      { field: 'container', args: {} },
      { field: 'withExec', args: { args: ['echo'], stdin: secret('X') } },
    ];
    expect(secretMisuses(leak)).toEqual(['withExec.stdin']);
    expect(secretMisuses([...secret('X'), { field: 'plaintext', args: {} }])).toEqual(['secret.plaintext']);
  });
});
