/**
 * history reads its git logs as git writes them (src/adapters/git-records.ts): records and multi-byte
 * characters cut across the pipe's chunks arrive whole, every commit is walked once and in order, and a
 * --limit stops early with the newest releases. A 3,000-commit history written with git fast-import,
 * each subject and trailer in several scripts, checked against git's own log.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { exampleFiles, gitSync, makeRepo } from '../helpers/git-fixtures.js';

const COMMITS = 3000;
const overlay = (tag: string) =>
  `resources:\n  - ../../base\nimages:\n  - name: application-image\n    newName: registry.example.com/team/pick-manager\n    newTag: "${tag}"\n  - name: order-manager-image\n    newName: registry.example.com/team/order-manager\n    newTag: "2.3.0"\n`;

/** `COMMITS` commits on main after the example repo's first, each a tag bump of dev with a long UTF-8 subject. */
function longRepo(): string {
  const dir = makeRepo(exampleFiles());
  const parent = gitSync(dir, ['rev-parse', 'HEAD']);
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const chunks: string[] = [];
  for (let i = 1; i <= COMMITS; i++) {
    const message = `Déploiement ${i} ✓ 日本語のリリース ${'é'.repeat(i % 97)}\n\nGitops-Flow-Env: dev\n`;
    chunks.push(
      `commit refs/heads/main\ncommitter Test <test@example.com> ${1_767_225_600 + i * 60} +0000\n${data(message)}${i === 1 ? `from ${parent}\n` : ''}M 100644 inline kustomizations/overlays/dev/kustomization.yaml\n${data(overlay(`1.${i}.0`))}`,
    );
  }
  const r = spawnSync('git', ['fast-import', '--quiet'], { cwd: dir, input: chunks.join('') });
  expect(r.status, String(r.stderr)).toBe(0);
  gitSync(dir, ['reset', '--quiet', '--hard', 'main']);
  return dir;
}

describe('history streamed from git', () => {
  it('every commit once, in order, with its subject whole; --limit gives the newest', async () => {
    const dir = longRepo();
    const r = await runCli(['-C', dir, '--json', 'history', '--env', 'dev']);
    expect(r.code, r.stderr).toBe(0);
    const releases = JSON.parse(r.stdout) as { commit: string; subject: string; images: Record<string, string> }[];
    const log = gitSync(dir, ['log', '--first-parent', '--format=%H %s', '-n', String(COMMITS)]).split('\n');
    expect(releases.slice(0, COMMITS).map((x) => `${x.commit} ${x.subject}`)).toEqual(log);
    expect(releases[0]?.images).toEqual({
      'application-image': `registry.example.com/team/pick-manager:1.${COMMITS}.0`,
    });
    expect(releases[COMMITS - 1]?.images).toEqual({
      'application-image': 'registry.example.com/team/pick-manager:1.1.0',
    });

    const limited = JSON.parse((await runCli(['-C', dir, '--json', 'history', '--limit', '3'])).stdout) as {
      commit: string;
    }[];
    expect(limited.map((x) => x.commit)).toEqual(releases.slice(0, 3).map((x) => x.commit));
  });
});
