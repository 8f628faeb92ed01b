/**
 * Built-in steps as units, on real git: each is run on a release context made here, the way a verb's
 * pipeline runs it. A step that finds nothing to do returns `skipped` and changes nothing; given work,
 * it does it and returns `succeeded`. (The verbs that chain them are tested through the CLI.)
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { getEnvironment } from '../../src/core/config.js';
import { createLogger } from '../../src/core/io.js';
import { parseImageArg } from '../../src/core/kustomization.js';
import type { Plan } from '../../src/core/plans.js';
import type { Verb } from '../../src/core/verb-pipelines.js';
import { loadConfig } from '../../src/steps/config.js';
import { releaseContext } from '../../src/steps/context.js';
import { STEPS } from '../../src/steps/registry.js';
import type { ReleaseContext, RunState } from '../../src/steps/types.js';
import { cleanEnv } from '../helpers/cli.js';
import { cloneRemote, exampleFiles, gitSync, makeRemote, type Remote, tempDir } from '../helpers/git-fixtures.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const state: RunState = { scope: { inputs: {}, env: {}, steps: {}, environment: {}, pipeline: {}, status: 'success' } };

/** A clone of the example env repo and a release context of `verb` for dev in it. */
async function setup(
  verb: Verb,
  plan: Plan,
  o: { dryRun?: boolean } = {},
): Promise<{ rc: ReleaseContext; remote: Remote }> {
  const remote = makeRemote(exampleFiles());
  const dir = cloneRemote(remote);
  const io = { cwd: dir, env: cleanEnv(), stdout: new PassThrough(), stderr: new PassThrough() };
  const cmd = {
    io,
    log: createLogger(io, { verbose: false }),
    opts: { dryRun: Boolean(o.dryRun), verbose: false, json: false },
  };
  const config = await loadConfig(dir);
  const rc = releaseContext({
    cmd,
    verb,
    plan,
    root: dir,
    tree: dir,
    config,
    env: getEnvironment(config, 'dev'),
    branch: 'main',
    remote: true,
    options: { deploy: false, push: true, sync: true },
    steps: STEPS,
    manifestPath: `${tempDir()}/dev.yaml`,
  });
  return { rc, remote };
}

const step = (name: string) => {
  const s = STEPS.get(name);
  if (!s?.run) throw new Error(`no step ${name}`);
  return s.run.bind(s);
};
const head = (dir: string) => gitSync(dir, ['rev-parse', 'HEAD']);
const suggestPlan = (image: string): Plan => ({
  verb: 'suggest',
  envRepo: 'file:///unused',
  env: 'dev',
  images: [parseImageArg(image)],
  pushToTarget: true,
  force: false,
  pinDigest: false,
  upstream: {},
});

describe('steps as units', () => {
  it('every built-in step is registered once, by the name its file gives it', () => {
    expect([...STEPS.keys()]).toHaveLength(new Set(STEPS.keys()).size);
    for (const [name, s] of STEPS) expect(s.name).toBe(name);
  });

  it('images/set: the images the overlay already has → skipped, nothing written; a new tag → the path and its record', async () => {
    const { rc } = await setup(
      'suggest',
      suggestPlan('application-image=registry.example.com/team/pick-manager:1.0.0'),
    );
    rc.change.entries = (rc.plan as Extract<Plan, { verb: 'suggest' }>).images;
    expect(await step('images/set')(rc, state)).toBe('skipped');
    expect(gitSync(rc.tree, ['status', '--porcelain'])).toBe('');
    rc.change.entries = [parseImageArg('application-image=registry.example.com/team/pick-manager:1.4.2')];
    expect(await step('images/set')(rc, state)).toBe('succeeded');
    expect(rc.change.paths).toEqual([DEV]);
    expect(rc.change.record).toMatchObject({ action: 'suggest', env: 'dev' });
    expect(gitSync(rc.tree, ['diff', '--', DEV])).toContain('1.4.2');
  });

  it('git/commit: nothing changed → skipped, no commit; a change → one commit with the release trailers', async () => {
    const { rc } = await setup(
      'suggest',
      suggestPlan('application-image=registry.example.com/team/pick-manager:1.4.2'),
    );
    const before = head(rc.tree);
    expect(await step('git/commit')(rc, state)).toBe('skipped');
    expect(head(rc.tree)).toBe(before);
    rc.change.entries = (rc.plan as Extract<Plan, { verb: 'suggest' }>).images;
    expect(await step('images/set')(rc, state)).toBe('succeeded');
    expect(await step('git/commit')(rc, state)).toMatchObject({ result: 'succeeded' });
    expect(gitSync(rc.tree, ['log', '-1', '--format=%B'])).toContain('Gitops-Flow-Action: suggest');
    expect(gitSync(rc.tree, ['rev-list', '--count', `${before}..HEAD`])).toBe('1');
  });

  it('pin/remove: an env that is not pinned → skipped, nothing to commit', async () => {
    const { rc } = await setup('unpin', { verb: 'unpin' });
    expect(await step('pin/remove')(rc, state)).toBe('skipped');
    expect(rc.change.paths).toEqual([]);
  });

  it('git/push: nothing ahead of the remote → skipped; a commit → pushed, once', async () => {
    const { rc, remote } = await setup('unpin', { verb: 'unpin' });
    expect(await step('git/push')(rc, state)).toBe('skipped');
    gitSync(rc.tree, ['commit', '--quiet', '--allow-empty', '-m', 'something to push']);
    expect(await step('git/push')(rc, state)).toMatchObject({ result: 'succeeded', outputs: { pushed: 'true' } });
    expect(gitSync(remote.dir, ['rev-parse', 'main'])).toBe(head(rc.tree));
    expect(await step('git/push')(rc, state)).toBe('skipped');
  });

  it('git/sync: no push to make → skipped; behind the remote → fast-forwarded', async () => {
    const { rc, remote } = await setup('unpin', { verb: 'unpin' });
    rc.options.sync = false;
    expect(await step('git/sync')(rc, state)).toBe('skipped');
    const other = cloneRemote(remote);
    gitSync(other, ['commit', '--quiet', '--allow-empty', '-m', 'newer']);
    gitSync(other, ['push', '--quiet', 'origin', 'main']);
    rc.options.sync = true;
    expect(await step('git/sync')(rc, state)).toBe('succeeded');
    expect(head(rc.tree)).toBe(head(other));
  });

  it('deploy, record/verified, restore-last-good: nothing to deploy, nothing deployed, nothing applied → skipped', async () => {
    const { rc } = await setup('unpin', { verb: 'unpin' });
    expect(await step('deploy')(rc, state)).toBe('skipped');
    expect(await step('record/verified')(rc, state)).toBe('skipped');
    expect(await step('restore-last-good')(rc, state)).toBe('skipped');
    expect(gitSync(rc.tree, ['notes', '--ref=gitops-flow-verified', 'list'])).toBe('');
  });
});
