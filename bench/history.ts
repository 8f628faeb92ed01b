/**
 * Long histories (issue 17 item 8): `history` and `status` on two generated 5,000-commit repos — one
 * overlay per env with 300 images (each commit bumps one tag), and 300 overlays of one image each (each
 * commit bumps one overlay). Goal: each under 1 s. Timed after one untimed run that fills the render
 * cache (the steady state in CI, where the cache directory is kept); the first run with an empty render
 * cache is timed once beside it. `BENCH_ONLY=history npm run bench` runs this alone (no clusters).
 */
import { fmt, gitopsFlow, must, type Stats, spread, stats, tempDir } from './lib.js';
import { longHistory, manyImages, manyOverlays } from './scale.js';

const log = (s: string) => process.stderr.write(`${s}\n`);

export interface HistoryResults {
  rows: string[][];
  figures: Record<string, Stats>;
}

/** The two repos, as bench/run.ts has always generated them. */
function repos(): { images: string; overlays: string } {
  const tags = Array.from({ length: 300 }, () => '1.1.0');
  const images = longHistory(manyImages(300), 5000, (i) => {
    tags[i % 300] = `1.${i}.0`;
    return [
      'kustomizations/overlays/dev/kustomization.yaml',
      `resources:\n  - ../../base\nnamespace: dev\nimages:\n${tags.map((t, k) => `  - name: svc-${k}-image\n    newName: registry.example.com/team/svc-${k}\n    newTag: "${t}"\n`).join('')}`,
    ];
  });
  const overlays = longHistory(manyOverlays(300), 5000, (i) => [
    `kustomizations/overlays/env-${i % 300}/kustomization.yaml`,
    `resources:\n  - ../../base\nnamespace: env-${i % 300}\nimages:\n  - name: svc-0-image\n    newName: registry.example.com/team/svc-0\n    newTag: "1.${i}.0"\n`,
  ]);
  return { images, overlays };
}

export async function longHistories(env: NodeJS.ProcessEnv, runs: number): Promise<HistoryResults> {
  log('scale: writing 5,000-commit histories with git fast-import');
  const { images, overlays } = repos();
  const rows: string[][] = [];
  const figures: Record<string, Stats> = {};
  const yes = (ok: boolean) => (ok ? 'yes' : 'NO');
  for (const [name, dir] of [
    ['300 images', images],
    ['300 overlays', overlays],
  ] as const) {
    for (const verb of ['history', 'status'] as const) {
      const argv = ['-C', dir, '--json', verb, ...(verb === 'status' ? ['--no-cluster'] : [])];
      const cold = (
        await must(gitopsFlow(argv, { env: { ...env, GITOPS_FLOW_CACHE: tempDir('gf-bench-cache-') } }), verb)
      ).ms;
      await must(gitopsFlow(argv, { env }), verb);
      const xs: number[] = [];
      for (let i = 0; i < runs; i++) xs.push((await must(gitopsFlow(argv, { env }), verb)).ms);
      const s = stats(xs);
      const key = `${verb}5000${name.replace(' ', '')}`;
      figures[key] = s;
      figures[`${key}Cold`] = stats([cold]);
      log(`  ${verb}, 5,000 commits, ${name}: ${spread(s)} (empty render cache: ${fmt(cold)})`);
      rows.push(['', `${verb}, 5,000 commits × ${name}`, spread(s), '< 1 s', yes(s.median < 1000)]);
      rows.push(['', `  same, empty render cache`, fmt(cold), '', '']);
    }
  }
  return { rows, figures };
}
