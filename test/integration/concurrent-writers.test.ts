/**
 * Concurrent writers: RUNS processes of the built binary started at once against one bare remote whose
 * pre-receive hook refuses non-fast-forward updates. Every fifth is `promote --no-deploy` from its own
 * clone (dev → uat or prod, one image each); the rest are `suggest --push-to-target` (each its own
 * shallow clone, a different image, spread over dev, uat and prod). Every change must land — RUNS
 * commits, every image where it belongs — with no force push; the retries it took are printed
 * (docs/dev/reliability.md).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, runBinary } from '../helpers/cli.js';
import { recordFigures } from '../helpers/figures.js';
import { cloneRemote, exampleFiles, gitSync, makeRemote, tempDir } from '../helpers/git-fixtures.js';

/** 20 in CI; GITOPS_FLOW_WRITERS=<n> to try other counts. */
const RUNS = Number(process.env.GITOPS_FLOW_WRITERS ?? 20);
/** Rounds of RUNS writers: 1 in CI, 5 in the soak run (GITOPS_FLOW_SOAK=1), or GITOPS_FLOW_WRITER_ROUNDS. */
const ROUNDS = Number(process.env.GITOPS_FLOW_WRITER_ROUNDS ?? (process.env.GITOPS_FLOW_SOAK === '1' ? 5 : 1));
const envOf = (i: number) => (i % 2 === 0 ? 'dev' : i % 4 === 1 ? 'uat' : 'prod');
const isPromote = (i: number) => i % 5 === 4;
/** The promotions, one per fifth run: a distinct (target, image) each. */
const PROMOTIONS = [
  ['uat', 'application-image', '1.4.2'],
  ['prod', 'order-manager-image', '2.4.0'],
  ['prod', 'application-image', '1.4.2'],
  ['uat', 'order-manager-image', '2.4.0'],
] as const;
const promotionOf = (i: number) => PROMOTIONS[Math.floor(i / 5) % PROMOTIONS.length] as (typeof PROMOTIONS)[number];
const DEV = 'kustomizations/overlays/dev/kustomization.yaml';

describe('concurrent writers', () => {
  const rounds: Record<string, unknown>[] = [];
  afterAll(() => {
    if (rounds.length === 0) return;
    const n = (k: string) => rounds.map((r) => r[k] as number);
    recordFigures('concurrent-writers', {
      rounds: rounds.length,
      writersPerRound: RUNS,
      landed: n('landed').reduce((a, b) => a + b, 0),
      lost: 0,
      forcePushes: 0,
      retries: n('retries').reduce((a, b) => a + b, 0),
      retriesPerRound: [Math.min(...n('retries')), Math.max(...n('retries'))],
      maxAttempts: Math.max(...n('maxAttempts')),
      seconds: [Math.min(...n('seconds')), Math.max(...n('seconds'))],
      perRound: rounds,
    });
  });
  it.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))(
    `round %i: ${RUNS} suggest --push-to-target and promote runs at once all land, none lost, no force push`,
    { timeout: 300_000 },
    async () => {
      // No gitops-flow.yaml: any env may be promoted from any other. dev holds what the promotions copy.
      const dev = (exampleFiles()[DEV] as string)
        .replace('newTag: "1.0.0"', 'newTag: "1.4.2"')
        .replace('newTag: "2.3.0"', 'newTag: "2.4.0"');
      const remote = makeRemote(exampleFiles({ 'gitops-flow.yaml': null, [DEV]: dev }));
      const clones = Array.from({ length: RUNS }, (_, i) => (isPromote(i) ? cloneRemote(remote) : tempDir()));
      const before = gitSync(remote.dir, ['rev-parse', 'main']);
      const env = cleanEnv();
      const t0 = Date.now();
      const runs = await Promise.all(
        Array.from({ length: RUNS }, (_, i) => {
          const [to, image] = promotionOf(i);
          return runBinary(
            isPromote(i)
              ? ['-C', clones[i] as string, 'promote', '--from', 'dev', '--to', to, '--image', image, '--no-deploy']
              : [
                  'suggest',
                  '--env-repo',
                  remote.url,
                  '--env',
                  envOf(i),
                  '--push-to-target',
                  // Each writer adds its own image entry (no workload runs svc-N: allowed on purpose).
                  '--allow-unused',
                  '--image',
                  `svc-${i}=registry.example.com/team/svc-${i}:1.0.${i}`,
                ],
            { cwd: clones[i] as string, env },
          );
        }),
      );
      const seconds = (Date.now() - t0) / 1000;
      const failures = runs.filter((r) => r.code !== 0).map((r) => r.stderr);
      expect(failures, failures.join('\n---\n')).toEqual([]);

      // Every change is on main, once, as its own commit on a linear history.
      const log = gitSync(remote.dir, ['log', '--format=%H %P|%s', `${before}..main`]).split('\n');
      expect(log).toHaveLength(RUNS);
      expect(log.every((l) => l.split('|')[0]?.trim().split(' ').length === 2)).toBe(true); // no merges
      for (let i = 0; i < RUNS; i++) {
        if (isPromote(i)) {
          const [to, image, tag] = promotionOf(i);
          expect(log.filter((l) => l.includes(`promote dev → ${to}`) && l.includes(image))).toHaveLength(1);
          const overlay = gitSync(remote.dir, ['show', `main:kustomizations/overlays/${to}/kustomization.yaml`]);
          expect(overlay).toMatch(new RegExp(`name: ${image}\\n\\s+newName: \\S+\\n\\s+newTag: "${tag}"`));
          continue;
        }
        expect(log.filter((l) => l.includes(` svc-${i}=`))).toHaveLength(1);
        const overlay = gitSync(remote.dir, ['show', `main:kustomizations/overlays/${envOf(i)}/kustomization.yaml`]);
        expect(overlay).toContain(`newName: registry.example.com/team/svc-${i}`);
      }
      // No update of main ever rewound it (the hook refuses those; none was even attempted).
      const updates = remote
        .pushes()
        .flatMap((p) => p.updates)
        .filter((u) => u.ref === 'refs/heads/main');
      for (const u of updates) expect(gitSync(remote.dir, ['merge-base', '--is-ancestor', u.old, u.new])).toBe('');
      expect(remote.rejections()).toBe(0);

      const retries = runs.map((r) => (r.stderr.match(/push rejected/g) ?? []).length);
      const kinds: Record<string, number> = {};
      for (const r of runs)
        for (const m of r.stderr.matchAll(
          /push rejected \(.*?\((fetch first|non-fast-forward|stale info|incorrect old value provided|cannot lock ref|failed to update ref)/g,
        ))
          kinds[m[1] as string] = (kinds[m[1] as string] ?? 0) + 1;
      const figures = {
        runs: RUNS,
        kinds,
        landed: log.length,
        retries: retries.reduce((a, b) => a + b, 0),
        maxAttempts: Math.max(...retries) + 1,
        seenByHook: updates.length,
        forcePushes: 0,
        seconds,
      };
      console.log(`concurrent writers: ${JSON.stringify(figures)}`);
      rounds.push(figures);
    },
  );
});
