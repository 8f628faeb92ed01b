/** rollback, pins, restore, diff and history on real git histories (no cluster: --no-deploy). */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import {
  cloneRemote,
  commitFiles,
  exampleFiles,
  gitSync,
  makeRemote,
  makeRepo,
  overlayWithTag as overlay,
  remoteWithReleases,
  snapshot,
} from '../helpers/git-fixtures.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const PROD = 'kustomizations/overlays/prod/kustomization.yaml';
const BASE = 'kustomizations/base/deployment.yaml';
/** A remote whose prod went 1.0.0 → 1.1.0 → 1.2.0, and a working clone of it. */
function prodHistory() {
  const {
    remote,
    dir,
    commits: [c1, c2],
  } = remoteWithReleases([
    ['prod', '1.1.0', '2026-10-01T10:00:00Z'],
    ['prod', '1.2.0', '2026-10-02T10:00:00Z'],
  ]);
  return { remote, dir, c1: c1 as string, c2: c2 as string };
}

describe('rollback and pins', () => {
  it('rolls the overlay back to the previous release as a new commit, pins it, and promote then refuses', async () => {
    const { remote, dir, c1 } = prodHistory();
    const r = await runCli([
      '-C',
      dir,
      '--json',
      'rollback',
      '--env',
      'prod',
      '--no-deploy',
      '--reason',
      'checkout errors',
    ]);
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ env: 'prod', to: c1, changed: true, pushed: true });
    expect(gitSync(remote.dir, ['show', `main:${PROD}`])).toContain('"1.1.0"');
    const pin = gitSync(remote.dir, ['show', 'main:kustomizations/overlays/prod/gitops-flow-pin.yaml']);
    expect(pin).toContain('checkout errors');
    expect(gitSync(remote.dir, ['log', '-1', '--format=%(trailers:only,unfold)', 'main'])).toContain(
      `Gitops-Flow-Restored-From: ${c1}`,
    );
    expect(gitSync(remote.dir, ['rev-list', '--count', 'main'])).toBe('4');

    // uat has 1.0.0; promoting it into pinned prod is refused and changes nothing.
    const before = snapshot(remote.dir);
    const refused = await runCli(['-C', dir, 'promote', '--from', 'uat', '--to', 'prod', '--no-deploy']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('error[ENV_PINNED]');
    expect(refused.stderr).toContain('gitops-flow unpin --env prod');
    expect(snapshot(remote.dir)).toBe(before);
    expect(gitSync(dir, ['status', '--porcelain'])).toBe('');

    // --force promotes and unpins in the same commit.
    const forced = await runCli(['-C', dir, 'promote', '--from', 'uat', '--to', 'prod', '--no-deploy', '--force']);
    expect(forced.code).toBe(0);
    expect(gitSync(remote.dir, ['ls-tree', '--name-only', 'main', 'kustomizations/overlays/prod/'])).not.toContain(
      'gitops-flow-pin.yaml',
    );
  });

  it('suggest into a pinned env refuses (exit 2); --force suggests and unpins', async () => {
    const { remote, dir } = prodHistory();
    expect((await runCli(['-C', dir, 'rollback', '--env', 'prod', '--no-deploy'])).code).toBe(0);
    const before = snapshot(remote.dir);
    const args = [
      'suggest',
      '--push-to-target',
      '--env-repo',
      remote.url,
      '--env',
      'prod',
      '--image',
      'application-image=registry.example.com/team/pick-manager:9.9.9',
    ];
    const refused = await runCli(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('error[ENV_PINNED]');
    expect(snapshot(remote.dir)).toBe(before);
    const forced = await runCli([...args, '--force']);
    expect(forced.code).toBe(0);
    expect(gitSync(remote.dir, ['show', `main:${PROD}`])).toContain('9.9.9');
    expect(gitSync(remote.dir, ['ls-tree', '--name-only', 'main', 'kustomizations/overlays/prod/'])).not.toContain(
      'gitops-flow-pin.yaml',
    );
  });

  it('unpin removes the pin in its own commit; --to picks the state', async () => {
    const { remote, dir } = prodHistory();
    const first = gitSync(remote.dir, ['rev-list', '--max-parents=0', 'main']);
    expect((await runCli(['-C', dir, 'rollback', '--env', 'prod', '--to', first, '--no-deploy'])).code).toBe(0);
    expect(gitSync(remote.dir, ['show', `main:${PROD}`])).toContain('"1.0.0"');
    const u = await runCli(['-C', dir, 'unpin', '--env', 'prod']);
    expect(u.code).toBe(0);
    expect(existsSync(join(dir, 'kustomizations/overlays/prod/gitops-flow-pin.yaml'))).toBe(false);
    expect(gitSync(remote.dir, ['log', '-1', '--format=%s', 'main'])).toContain('unpin prod');
    expect((await runCli(['-C', dir, 'unpin', '--env', 'prod'])).stderr).toContain('was not pinned');
  });

  it('rollback of an env with no earlier release exits 2', async () => {
    const remote = makeRemote(exampleFiles());
    const dir = cloneRemote(remote);
    const r = await runCli(['-C', dir, 'rollback', '--env', 'prod', '--no-deploy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[NO_PREVIOUS_RELEASE]');
  });
});

describe('restore', () => {
  it('by ref: overlay and the base it references are made equal to that commit, and render the same', async () => {
    const { remote, dir, c1 } = prodHistory();
    commitFiles(
      dir,
      { [BASE]: (exampleFiles()[BASE] as string).replace('replicas: 2', 'replicas: 3') },
      'base: 3 replicas',
      '2026-10-03T10:00:00Z',
    );
    gitSync(dir, ['push', '--quiet', 'origin', 'main']);
    // The base is shared: dev and uat read it too, so the restore is refused unless they are included.
    const refused = await runCli(['-C', dir, 'restore', '--env', 'prod', '--at', c1, '--no-deploy']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('error[SHARED_FILES]');
    expect(refused.stderr).toContain(`${BASE}: read by dev, uat`);
    expect(gitSync(dir, ['status', '--porcelain'])).toBe('');
    const r = await runCli([
      '-C',
      dir,
      '--json',
      'restore',
      '--env',
      'prod',
      '--at',
      c1,
      '--no-deploy',
      '--include-shared',
    ]);
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    const [out] = JSON.parse(r.stdout);
    expect(out.paths).toEqual(['kustomizations/base', 'kustomizations/overlays/prod']);
    expect(gitSync(remote.dir, ['show', `main:${BASE}`])).toContain('replicas: 2');
    const then = await runCli(['-C', dir, 'render', '--env', 'prod', '--ref', c1]);
    const now = await runCli(['-C', dir, 'render', '--env', 'prod', '--ref', 'origin/main']);
    expect(now.stdout).toBe(then.stdout);
    expect(gitSync(remote.dir, ['log', '-1', '--format=%s', 'main'])).toContain(`restore prod to ${c1.slice(0, 12)}`);
  });

  it('by time: the last commit at or before it; before the first commit exits 2', async () => {
    const { remote, dir, c1 } = prodHistory();
    const r = await runCli([
      '-C',
      dir,
      '--json',
      'restore',
      '--env',
      'prod',
      '--at',
      '2026-10-01T12:00Z',
      '--no-deploy',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)[0].at).toBe(c1);
    expect(gitSync(remote.dir, ['show', `main:${PROD}`])).toContain('"1.1.0"');
    const early = await runCli(['-C', dir, 'restore', '--env', 'prod', '--at', '2001-01-01T00:00Z', '--no-deploy']);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain('error[NOTHING_AT_TIME]');
    const bad = await runCli(['-C', dir, 'restore', '--env', 'prod', '--at', '2026-13-45T99:00Z', '--no-deploy']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error[TIME_INVALID]');
  });

  it('--all-envs restores every env in promotion order; restoring the current state is no change', async () => {
    const { remote, dir } = prodHistory();
    const first = gitSync(remote.dir, ['rev-list', '--max-parents=0', 'main']);
    const r = await runCli(['-C', dir, '--json', 'restore', '--all-envs', '--at', first, '--no-deploy']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { env: string; changed: boolean }[];
    expect(out.map((x) => [x.env, x.changed])).toEqual([
      ['dev', false],
      ['uat', false],
      ['prod', true],
    ]);
    const again = await runCli(['-C', dir, 'restore', '--env', 'prod', '--at', first, '--no-deploy']);
    expect(again.stderr).toContain('No change');
  });

  it('needs exactly one of --env and --all-envs', async () => {
    const { dir } = prodHistory();
    expect((await runCli(['-C', dir, 'restore', '--at', 'HEAD', '--no-deploy'])).stderr).toContain(
      'error[RESTORE_TARGET]',
    );
  });
});

describe('diff', () => {
  it('shows the image change first, then the unified diff of the renders', async () => {
    const { dir, c1, c2 } = prodHistory();
    const r = await runCli(['-C', dir, 'diff', '--env', 'prod']);
    expect(r.code).toBe(0);
    expect(
      r.stdout.startsWith(
        'Images:\n  application-image: registry.example.com/team/pick-manager:1.1.0 → registry.example.com/team/pick-manager:1.2.0\n',
      ),
    ).toBe(true);
    expect(r.stdout).toContain(`--- prod@${c1.slice(0, 12)}`);
    expect(r.stdout).toContain(`+++ prod@${c2.slice(0, 12)}`);
    expect(r.stdout).toContain('-      - image: registry.example.com/team/pick-manager:1.1.0');
    expect(r.stdout).toContain('+      - image: registry.example.com/team/pick-manager:1.2.0');
    const json = JSON.parse(
      (await runCli(['-C', dir, '--json', 'diff', '--env', 'prod', '--from', c2, '--to', c2])).stdout,
    );
    expect(json).toEqual({ env: 'prod', from: c2, to: c2, images: {}, changed: false, diff: '' });
    expect((await runCli(['-C', dir, 'diff', '--env', 'prod', '--exit-code'])).code).toBe(1);
  });
});

describe('history on generated histories', () => {
  it('classifies suggest, promote, rollback, restore, revert, manual edits and merged branches', async () => {
    const { dir } = prodHistory();
    gitSync(dir, ['checkout', '--quiet', '-b', 'feature']);
    commitFiles(dir, { [DEV]: overlay('dev', '3.0.0') }, 'dev 3.0.0 on a branch');
    gitSync(dir, ['checkout', '--quiet', 'main']);
    gitSync(dir, ['merge', '--quiet', '--no-ff', '-m', 'Merge branch feature', 'feature']);
    gitSync(dir, ['revert', '--no-edit', 'feature']);
    gitSync(dir, ['push', '--quiet', 'origin', 'main']);
    expect((await runCli(['-C', dir, 'rollback', '--env', 'prod', '--no-deploy'])).code).toBe(0);
    const h = JSON.parse((await runCli(['-C', dir, '--json', 'history'])).stdout) as {
      env: string;
      action: string;
      subject: string;
      images: Record<string, string>;
      previousImages: Record<string, string>;
    }[];
    const summary = h.map((e) => `${e.env}:${e.action}`);
    expect(summary.slice(0, 5)).toEqual(['prod:rollback', 'dev:revert', 'dev:manual', 'prod:manual', 'prod:manual']);
    expect(h[2]?.subject).toBe('dev 3.0.0 on a branch');
    expect(h[1]?.previousImages['application-image']).toContain('3.0.0');
    const since = JSON.parse(
      (await runCli(['-C', dir, '--json', 'history', '--env', 'prod', '--since', '2026-10-01T12:00Z'])).stdout,
    ) as { subject: string }[];
    expect(since.map((e) => e.subject)).not.toContain('prod 1.1.0');
  });
});

describe('determinism', () => {
  it('rendering each commit of a 50-commit history twice gives byte-identical output', async () => {
    const dir = makeRepo(exampleFiles());
    for (let i = 1; i < 50; i++) {
      const env = ['dev', 'uat', 'prod'][i % 3] as string;
      commitFiles(
        dir,
        { [`kustomizations/overlays/${env}/kustomization.yaml`]: overlay(env, `1.${i}.0`) },
        `${env} 1.${i}.0`,
      );
    }
    const commits = gitSync(dir, ['rev-list', 'HEAD']).split('\n');
    expect(commits).toHaveLength(50);
    const hash = (s: string) => createHash('sha256').update(s).digest('hex');
    for (const c of commits) {
      const [a, b] = await Promise.all([
        runCli(['-C', dir, 'render', '--env', 'prod', '--ref', c]),
        runCli(['-C', dir, 'render', '--env', 'prod', '--ref', c]),
      ]);
      expect(a.code).toBe(0);
      expect(hash(a.stdout)).toBe(hash(b.stdout));
    }
  });
});

describe('verification gate', () => {
  it('requireVerified: promote refuses when nothing of the source was verified', async () => {
    const files = exampleFiles({
      'gitops-flow.yaml': 'environments:\n  dev: {}\n  uat: { requireVerified: true, minSoak: 30m }\n  prod: {}\n',
    });
    const remote = makeRemote(files);
    const dir = cloneRemote(remote);
    const r = await runCli(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[NOTHING_VERIFIED]');
    expect(r.stderr).toContain('gitops-flow deploy --env dev');
    expect(readFileSync(join(dir, 'kustomizations/overlays/uat/kustomization.yaml'), 'utf8')).toContain('"1.0.0"');
  });
});
