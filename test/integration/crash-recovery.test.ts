/**
 * What a run killed with SIGKILL leaves in the working copy, rebuilt exactly: its stale lock, its
 * edit of the overlay staged by `git add` (killed inside `git commit`), git's own index.lock and a
 * temp file of an atomic write. The same command run again takes the lock over, discards exactly
 * that half-made change, and lands the change once. Found by test/e2e/crash-trials.e2e.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runBinary } from '../helpers/cli.js';
import { cloneRemote, exampleFiles, gitSync, makeRemote } from '../helpers/git-fixtures.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const UAT = 'kustomizations/overlays/uat/kustomization.yaml';
const withTag = (file: string, tag: string) =>
  (exampleFiles()[file] as string).replace('newTag: "1.0.0"', `newTag: "${tag}"`);

/** A pid that was just used and is no longer running. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

describe('rerun after a run killed mid-commit', () => {
  it("takes over the lock, removes git's index.lock, discards the staged half-made edit, lands the change once", async () => {
    const remote = makeRemote(exampleFiles({ 'gitops-flow.yaml': null, [DEV]: withTag(DEV, '1.4.2') }));
    const dir = cloneRemote(remote);
    // The dead run's leftovers.
    writeFileSync(
      join(dir, '.git', 'gitops-flow.lock'),
      `${JSON.stringify({ pid: deadPid(), hostname: hostname(), started: new Date(Date.now() - 60_000).toISOString() })}\n`,
    );
    writeFileSync(join(dir, UAT), withTag(UAT, '1.4.2'));
    gitSync(dir, ['add', UAT]);
    writeFileSync(join(dir, `${UAT}.gitops-flow.tmp`), 'half-written');
    writeFileSync(join(dir, '.git', 'index.lock'), '');

    const r = await runBinary(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'], {
      cwd: dir,
      env: cleanEnv(),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Took over a stale lock');
    expect(r.stderr).toContain(`Removed ${join(dir, '.git', 'index.lock')}, left by the run that died.`);
    expect(r.stderr).toContain('left half-made in kustomizations/overlays/uat:');
    expect(r.stderr).toContain(`M  ${UAT}`);
    expect(r.stderr).toContain(`?? ${UAT}.gitops-flow.tmp`);
    expect(existsSync(join(dir, `${UAT}.gitops-flow.tmp`))).toBe(false);
    expect(
      gitSync(remote.dir, ['log', '--format=%s', 'main'])
        .split('\n')
        .filter((s) => s.includes('promote dev → uat')),
    ).toHaveLength(1);
    expect(gitSync(remote.dir, ['show', `main:${UAT}`])).toContain('newTag: "1.4.2"');
    expect(gitSync(dir, ['status', '--porcelain'])).toBe('');
  });

  it("without a dead run's lock, a dirty overlay is the user's: refused, untouched", async () => {
    const remote = makeRemote(exampleFiles({ 'gitops-flow.yaml': null, [DEV]: withTag(DEV, '1.4.2') }));
    const dir = cloneRemote(remote);
    writeFileSync(join(dir, UAT), withTag(UAT, '5.5.5'));
    const r = await runBinary(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'], {
      cwd: dir,
      env: cleanEnv(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[WORKTREE_DIRTY]');
    expect(gitSync(dir, ['diff', '--', UAT])).toContain('5.5.5');
  });
});
