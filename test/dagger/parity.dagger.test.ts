/**
 * The module on a real engine (`npm run test:dagger`): `dagger functions`, then suggest, deploy,
 * promote, rollback and restore through `dagger call` on one remote, and the same verbs through the
 * native CLI on a second remote holding the same first commit. After each pair: the same commit trees,
 * authors and trailers (commit ids as their place in history), the same other refs, the same history
 * JSON, and the cluster exactly as the CLI renders each side's commit (server-side diff empty). The
 * toolbox's containers reach the local control planes and the git server through --host-services.
 * Last, a pipeline's containerized run: step (image:) through the module and under `dagger run`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitopsFlow, liveImages, uniqueExample } from '../e2e/helpers.js';
import { gitSync, REPO_ROOT } from '../helpers/git-fixtures.js';
import {
  commits,
  dagger,
  daggerCall,
  keepLog,
  nativeEnv,
  normalize,
  otherRefs,
  type Remotes,
  type Run,
  twoRemotes,
  workingClone,
} from './parity.js';

const APP = 'registry.example.com/team/pick-manager';
let remotes: Remotes;
let ns: (env: string) => string;
let first: string;

/** A pipeline with a containerized step (image: the toolbox's Debian base, by digest), printing a marker. */
const MARKER = 'containerized-step-ran';
const BASE_IMAGE = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8')) as { images: { toolbox: string } }
).images.toolbox;
const SMOKE = `
pipelines:
  smoke:
    steps:
      - id: inside
        image: ${BASE_IMAGE}
        run: [sh, -c, 'echo ${MARKER}; test -f gitops-flow.yaml && echo seen=repo >> "$GITOPS_FLOW_OUTPUT"']
      - run: [sh, -c, 'echo "\${{ steps.inside.outputs.seen }}-output-read"']
`;

beforeAll(async () => {
  const example = uniqueExample();
  example.files['gitops-flow.yaml'] = `${example.files['gitops-flow.yaml']}${SMOKE}`;
  ns = example.ns;
  remotes = await twoRemotes(example.files);
  first = gitSync(remotes.dagger.dir, ['rev-parse', 'main']);
});
afterAll(() => remotes?.server.close());

/** A run that must succeed; its output is kept in a file the failure names. */
function ok(name: string, run: Run): Run {
  expect(run.code, `${name} failed: ${keepLog(name, run)}\n${run.stderr.slice(-4000)}`).toBe(0);
  return run;
}

/** The native CLI on a fresh working clone of the native remote. */
async function native(argv: string[]): Promise<Run> {
  return gitopsFlow(argv, workingClone(remotes.native.url), nativeEnv());
}

/** The same commits, refs and history on both remotes; the cluster as each side's render (diff empty). */
async function expectParity(env: string): Promise<void> {
  expect(commits(remotes.dagger.dir)).toEqual(commits(remotes.native.dir));
  expect(otherRefs(remotes.dagger.dir)).toEqual(otherRefs(remotes.native.dir));
  const json = async (side: 'dagger' | 'native', run: Promise<Run>) =>
    normalize(remotes[side].dir, ok(`history-${side}`, await run).stdout);
  const [a, b] = [
    await json('dagger', daggerCall(remotes, ['history'])),
    await json('native', native(['--json', 'history'])),
  ];
  expect(JSON.parse(a)).toEqual(JSON.parse(b));
  for (const side of ['dagger', 'native'] as const) {
    const diff = ok(
      `diff-${side}`,
      await gitopsFlow(['--json', 'diff', '--env', env, '--cluster'], workingClone(remotes[side].url), nativeEnv()),
    );
    expect(JSON.parse(diff.stdout), `${side}: the cluster differs from its render`).toMatchObject({ changed: false });
  }
}

describe('the module on a real engine, side by side with the CLI', () => {
  it('dagger functions lists one function per verb and the toolbox', async () => {
    const r = ok('functions', await dagger(['functions', '-m', '.']));
    for (const fn of ['toolbox', 'suggest', 'render', 'deploy', 'promote', 'status', 'history', 'rollback', 'restore'])
      expect(r.stdout).toMatch(new RegExp(`^${fn}\\b`, 'm'));
  });

  it('suggest: the same commit on the target branch, with the CI context as author and trailers', async () => {
    const image = `application-image=${APP}:2.0.0`;
    const d = ok(
      'suggest-dagger',
      await daggerCall(remotes, [
        'suggest',
        '--env-repo',
        remotes.dagger.url,
        '--env',
        'dev',
        '--images',
        image,
        '--push-to-target',
      ]),
    );
    const n = ok(
      'suggest-native',
      await native([
        '--json',
        'suggest',
        '--env-repo',
        remotes.native.url,
        '--env',
        'dev',
        '--image',
        image,
        '--push-to-target',
      ]),
    );
    expect(JSON.parse(normalize(remotes.dagger.dir, d.stdout))).toEqual(
      JSON.parse(normalize(remotes.native.dir, n.stdout)),
    );
    expect(commits(remotes.dagger.dir)).toEqual(commits(remotes.native.dir));
    expect(commits(remotes.dagger.dir).at(-1)?.author).toBe('Parity Tester <parity@example.test>');
    expect(commits(remotes.dagger.dir).at(-1)?.message).toContain('Upstream-Pipeline: 4242');
  });

  it('deploy: the cluster runs the render of the same commit', async () => {
    ok('deploy-dagger', await daggerCall(remotes, ['deploy', '--env', 'dev', '--timeout', '120s', 'entries']));
    expect(liveImages('dev', ns('dev')).app).toBe(`${APP}:2.0.0`);
    ok('deploy-native', await native(['deploy', '--env', 'dev', '--timeout', '120s']));
    await expectParity('dev');
  });

  it('promote: the same commit, deployed and pushed', async () => {
    ok('promote-dagger', await daggerCall(remotes, ['promote', '--from', 'dev', '--to', 'uat', 'entries']));
    expect(liveImages('uat', ns('uat')).app).toBe(`${APP}:2.0.0`);
    ok('promote-native', await native(['promote', '--from', 'dev', '--to', 'uat']));
    await expectParity('uat');
  });

  it('rollback: the previous release back, pinned, on both sides', async () => {
    ok('rollback-dagger', await daggerCall(remotes, ['rollback', '--env', 'uat', '--reason', 'parity', 'entries']));
    expect(liveImages('uat', ns('uat')).app).toBe(`${APP}:1.0.0`);
    ok('rollback-native', await native(['rollback', '--env', 'uat', '--reason', 'parity']));
    await expectParity('uat');
  });

  it('restore: the environment exactly as the first commit had it', async () => {
    ok('restore-dagger', await daggerCall(remotes, ['restore', '--env', 'dev', '--at', first, 'entries']));
    expect(liveImages('dev', ns('dev')).app).toBe(`${APP}:1.0.0`);
    ok('restore-native', await native(['restore', '--env', 'dev', '--at', first]));
    await expectParity('dev');
  });

  it('a run: step with image: runs in its container, through the module and natively under dagger run', async () => {
    const d = ok('run-dagger', await daggerCall(remotes, ['run', '--pipeline', 'smoke', 'entries']));
    expect(d.stderr).toContain(MARKER);
    expect(d.stderr).toContain('repo-output-read');
    const clone = workingClone(remotes.native.url);
    const bin = join(REPO_ROOT, 'bin', 'gitops-flow.js');
    const n = ok('run-native', await dagger(['run', process.execPath, bin, '-C', clone, 'run', 'smoke']));
    expect(`${n.stdout}${n.stderr}`).toContain(MARKER);
    expect(`${n.stdout}${n.stderr}`).toContain('repo-output-read');
  });
});
