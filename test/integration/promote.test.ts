/** promote (without a cluster: --no-deploy), against a real bare remote that refuses force pushes. */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cloneRemote, commitFiles, exampleFiles, gitSync, makeRemote, snapshot } from '../helpers/git-fixtures.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const UAT = 'kustomizations/overlays/uat/kustomization.yaml';
const PROD = 'kustomizations/overlays/prod/kustomization.yaml';

function withDevImage(tag: string): Record<string, string> {
  return { [DEV]: (exampleFiles()[DEV] as string).replace('newTag: "1.0.0"', `newTag: "${tag}"`) };
}

describe('promote --no-deploy', () => {
  it('copies the source images into the target overlay, commits with trailers and pushes to main', async () => {
    const remote = makeRemote(exampleFiles(withDevImage('1.4.2')));
    const dir = cloneRemote(remote);
    const head = gitSync(dir, ['rev-parse', 'HEAD']);
    const r = await runCli(['-C', dir, '--json', 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy']);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      from: 'dev',
      to: 'uat',
      changed: true,
      deployed: false,
      pushed: true,
      pushAttempts: 1,
    });
    expect(out.images).toEqual({
      'application-image': 'registry.example.com/team/pick-manager:1.4.2',
      'order-manager-image': 'registry.example.com/team/order-manager:2.3.0',
    });
    expect(gitSync(remote.dir, ['show', `main:${UAT}`])).toContain('1.4.2');
    expect(gitSync(remote.dir, ['show', `main:${UAT}`])).toContain('# The uat environment');
    const trailers = gitSync(remote.dir, ['log', '-1', '--format=%(trailers:only,unfold)', 'main']);
    expect(trailers).toContain('Gitops-Flow-Action: promote');
    expect(trailers).toContain('Gitops-Flow-Env: uat');
    expect(trailers).toContain('Gitops-Flow-From-Env: dev');
    expect(trailers).toContain(`Gitops-Flow-From-Commit: ${head}`);
    expect(remote.pushes().map((p) => p.options)).toEqual([[]]);
    expect(gitSync(remote.dir, ['diff', '--name-only', 'main~1', 'main'])).toBe(UAT);
  });

  it('is idempotent: a second run reports no change and pushes nothing', async () => {
    const remote = makeRemote(exampleFiles(withDevImage('1.4.2')));
    const dir = cloneRemote(remote);
    expect((await runCli(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'])).code).toBe(0);
    const before = snapshot(remote.dir);
    const again = await runCli(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('No change');
    expect(again.stderr).toContain('- images/copy: nothing to do');
    expect(again.stderr).toContain('- git/commit: nothing to do');
    expect(again.stderr).toContain('- git/push: nothing to do');
    expect(snapshot(remote.dir)).toBe(before);
  });

  it('--image promotes only the named image', async () => {
    const remote = makeRemote(
      exampleFiles({
        [DEV]: (exampleFiles()[DEV] as string)
          .replace('newTag: "1.0.0"', 'newTag: "1.9.0"')
          .replace('newTag: "2.3.0"', 'newTag: "2.9.0"'),
      }),
    );
    const dir = cloneRemote(remote);
    const r = await runCli([
      '-C',
      dir,
      'promote',
      '--from',
      'dev',
      '--to',
      'uat',
      '--no-deploy',
      '--image',
      'order-manager-image',
    ]);
    expect(r.code).toBe(0);
    const uat = gitSync(remote.dir, ['show', `main:${UAT}`]);
    expect(uat).toContain('2.9.0');
    expect(uat).toContain('"1.0.0"');
  });

  it('when someone pushes first, replays the change on the new tip and retries (never a force push)', async () => {
    const remote = makeRemote(exampleFiles(withDevImage('1.4.2')));
    const dir = cloneRemote(remote);
    const other = cloneRemote(remote);
    commitFiles(other, { [PROD]: `${exampleFiles()[PROD]}# hotfix note\n` }, 'manual prod edit');
    // A pre-push hook that, the first time only, lets another clone win the race to main.
    const hook = join(dir, '.git', 'hooks', 'pre-push');
    writeFileSync(
      hook,
      `#!/bin/sh\n[ -e "${dir}.raced" ] && exit 0\ntouch "${dir}.raced"\nenv -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE git -C "${other}" push --quiet origin main >&2\nexit 0\n`,
    );
    chmodSync(hook, 0o755);
    const r = await runCli(['-C', dir, '--json', 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy']);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('push rejected');
    expect(JSON.parse(r.stdout).pushAttempts).toBe(2);
    const log = gitSync(remote.dir, ['log', '--format=%s', 'main']).split('\n');
    expect(log[0]).toContain('promote dev → uat');
    expect(log[1]).toBe('manual prod edit');
    expect(gitSync(remote.dir, ['show', `main:${PROD}`])).toContain('# hotfix note');
    expect(gitSync(remote.dir, ['show', `main:${UAT}`])).toContain('1.4.2');
    // Every accepted update was a fast-forward.
    for (const p of remote.pushes())
      for (const u of p.updates)
        expect(gitSync(remote.dir, ['merge-base', '--is-ancestor', u.old, u.new]) === '').toBe(true);
  });

  it('--no-push commits locally and pushes nothing', async () => {
    const remote = makeRemote(exampleFiles(withDevImage('1.4.5')));
    const dir = cloneRemote(remote);
    const before = snapshot(remote.dir);
    const r = await runCli(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy', '--no-push']);
    expect(r.code).toBe(0);
    expect(snapshot(remote.dir)).toBe(before);
    expect(gitSync(dir, ['log', '-1', '--format=%s'])).toContain('promote dev → uat');
  });

  it('--dry-run changes nothing locally or remotely', async () => {
    const remote = makeRemote(exampleFiles(withDevImage('1.4.6')));
    const dir = cloneRemote(remote);
    const before = snapshot(remote.dir);
    const head = gitSync(dir, ['rev-parse', 'HEAD']);
    const r = await runCli(['-C', dir, '--dry-run', 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('[dry-run]');
    expect(snapshot(remote.dir)).toBe(before);
    expect(gitSync(dir, ['rev-parse', 'HEAD'])).toBe(head);
    expect(gitSync(dir, ['status', '--porcelain'])).toBe('');
    expect(readFileSync(join(dir, UAT), 'utf8')).toContain('"1.0.0"');
  });

  it.each([
    [['--from', 'dev', '--to', 'prod'], 'PROMOTE_NOT_ALLOWED', 'Promote prod from uat'],
    [['--from', 'uat', '--to', 'dev'], 'PROMOTE_NOT_ALLOWED', 'first in the promotion order'],
    [['--from', 'dev', '--to', 'dev'], 'PROMOTE_SAME_ENV', 'dev'],
    [['--from', 'dev', '--to', 'qa'], 'ENV_UNKNOWN', '"qa"'],
    [['--from', 'dev', '--to', 'uat', '--image', 'nope'], 'IMAGE_NOT_IN_SOURCE', '"nope"'],
    [['--from', 'dev', '--to', 'uat', '--timeout', 'forever'], 'DURATION_INVALID', '"forever"'],
  ])('refuses %j with exit 2 and changes nothing', async (args, code, shown) => {
    const remote = makeRemote(exampleFiles(withDevImage('1.4.2')));
    const dir = cloneRemote(remote);
    const before = snapshot(remote.dir);
    const head = gitSync(dir, ['rev-parse', 'HEAD']);
    const r = await runCli(['-C', dir, 'promote', '--no-deploy', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error[${code}]`);
    expect(r.stderr).toContain(shown);
    expect(snapshot(remote.dir)).toBe(before);
    expect(gitSync(dir, ['rev-parse', 'HEAD'])).toBe(head);
    expect(gitSync(dir, ['status', '--porcelain'])).toBe('');
  });

  it('refuses a working copy with uncommitted changes', async () => {
    const remote = makeRemote(exampleFiles(withDevImage('1.4.2')));
    const dir = cloneRemote(remote);
    const file = join(dir, UAT);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, `${text}# local edit\n`);
    const r = await runCli(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[WORKTREE_DIRTY]');
  });
});
