/**
 * Conflicts after a replay: someone pushes between a run's fetch and its push, the push is rejected,
 * and the change is replayed on the new tip. When the new tip took the ground from under the change
 * (its overlay deleted, its `images:` rewritten into something else, its env pinned by a rollback) the
 * run exits 1 with REPLAY_CONFLICT naming the file, pushes nothing and leaves no local commit. When
 * the other push only set the same image differently, the replay lands on top (the edit has the
 * semantics of `kustomize edit set image`: the last one wins), one commit each.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cloneRemote, commitFiles, exampleFiles, gitSync, makeRemote, snapshot } from '../helpers/git-fixtures.js';
import { racedEnv } from '../helpers/push-race.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const UAT = 'kustomizations/overlays/uat/kustomization.yaml';
const UAT_PIN = 'kustomizations/overlays/uat/gitops-flow-pin.yaml';
const withTag = (file: string, tag: string) =>
  (exampleFiles()[file] as string).replace('newTag: "1.0.0"', `newTag: "${tag}"`);

/** A remote (dev at 1.4.2), the clone the run works in, and another clone with `theirs` committed, not yet pushed. */
function race(theirs: Record<string, string | null>) {
  const remote = makeRemote(exampleFiles({ [DEV]: withTag(DEV, '1.4.2') }));
  const dir = cloneRemote(remote);
  const other = cloneRemote(remote);
  commitFiles(other, theirs, 'someone else, meanwhile');
  return { remote, dir, other };
}

const PROMOTE = ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy'];

describe('a push rejected, and the change no longer applies to the new tip', () => {
  const cases: { name: string; theirs: Record<string, string | null>; file: string; why: RegExp }[] = [
    { name: 'the overlay was deleted', theirs: { [UAT]: null }, file: UAT, why: /no kustomization/ },
    {
      name: 'its images: were rewritten into a mapping',
      theirs: {
        [UAT]: `${(exampleFiles()[UAT] as string).split('images:')[0]}images: { application-image: "1.0.0" }\n`,
      },
      file: UAT,
      why: /`images:` is not a list/,
    },
    {
      name: 'the env was pinned by a rollback',
      theirs: { [UAT_PIN]: 'reason: rollback to 1.0.0 (an incident)\npinnedAt: 2026-11-26T06:00:00Z\n' },
      file: UAT_PIN,
      why: /uat is pinned/,
    },
  ];

  it.each(cases.map((c) => [c.name, c] as const))(
    'promote: %s → exit 1 REPLAY_CONFLICT naming the file; nothing pushed, no commit left',
    async (_name, c) => {
      const { remote, dir, other } = race(c.theirs);
      const head = gitSync(dir, ['rev-parse', 'HEAD']);
      const r = await runCli(['-C', dir, ...PROMOTE], { cwd: dir, env: racedEnv(other) });
      expect(r.stderr).toContain('push rejected');
      expect(r.stderr).toContain(
        `error[REPLAY_CONFLICT]: main changed while this ran, and the change no longer applies to it: "${c.file}".`,
      );
      expect(r.stderr).toMatch(c.why);
      expect(r.stderr).toContain(`hint: See what was pushed (git log -p origin/main -- ${c.file})`);
      expect(r.code).toBe(1);
      // The remote has their commit and nothing of ours; our clone has no commit of this run left.
      expect(gitSync(remote.dir, ['rev-parse', 'main'])).toBe(gitSync(other, ['rev-parse', 'HEAD']));
      expect(gitSync(remote.dir, ['log', '--format=%s', 'main'])).not.toContain('promote');
      expect(gitSync(dir, ['log', '--format=%s', '-1'])).not.toContain('promote');
      expect(gitSync(dir, ['log', '--format=%H']).split('\n')).toContain(head);
    },
  );

  it('suggest --push-to-target: the overlay deleted meanwhile → exit 1 REPLAY_CONFLICT naming it', async () => {
    const { remote, other } = race({ [UAT]: null });
    const before = snapshot(remote.dir);
    const r = await runCli(
      [
        'suggest',
        '--env-repo',
        remote.url,
        '--env',
        'uat',
        '--push-to-target',
        '--image',
        'application-image=registry.example.com/team/pick-manager:7.0.0',
      ],
      { env: racedEnv(other) },
    );
    expect(r.stderr).toContain(
      `error[REPLAY_CONFLICT]: main changed while this ran, and the change no longer applies to it: "${UAT}".`,
    );
    expect(r.stderr).toContain(`  D ${UAT}`);
    expect(r.code).toBe(1);
    expect(snapshot(remote.dir)).not.toBe(before); // theirs landed …
    expect(gitSync(remote.dir, ['log', '--format=%s', 'main'])).not.toContain('7.0.0'); // … ours did not
  });

  it('not a conflict: they set the same image to another tag → ours is replayed on top, one commit each', async () => {
    const { remote, dir, other } = race({ [UAT]: withTag(UAT, '9.9.9') });
    const r = await runCli(['-C', dir, '--json', ...PROMOTE], { cwd: dir, env: racedEnv(other) });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).pushAttempts).toBe(2);
    expect(gitSync(remote.dir, ['show', `main:${UAT}`])).toContain('newTag: "1.4.2"');
    expect(gitSync(remote.dir, ['log', '--format=%s', 'main']).split('\n').slice(0, 2)).toEqual([
      expect.stringContaining('promote dev → uat'),
      'someone else, meanwhile',
    ]);
  });
});
