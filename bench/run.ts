/**
 * `npm run bench`: gitops-flow measured side by side with the seed's recipe and the raw-commands floor
 * on local control planes, plus scale, cold start and memory. Prints a table; writes JSON to
 * bench/results/. BENCH_RUNS (default 5) and BENCH_DELAYS (ms, default 0,2000,10000) shrink it;
 * BENCH_SCALE=0 runs only the promote scenarios; BENCH_ONLY=many only the 200-object render,
 * BENCH_ONLY=history only the long-history rows.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { mergeKubeconfigs, startCluster } from '../src/cluster/cluster.js';
import { nodesYaml } from '../src/cluster/manifests.js';
import { toolDir } from '../src/cluster/tools.js';
import { longHistories } from './history.js';
import { fmt, gitopsFlow, must, ROOT, run, type Stats, spread, stats, tempDir } from './lib.js';
import { type PromoteSample, promoteOnce, type Variant } from './promote.js';
import { manyImages, manyOverlays, repoWithRemote } from './scale.js';
import { crashReportOnce, type ManySample, manyObjectsOnce } from './verify.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const DELAYS = (process.env.BENCH_DELAYS ?? '0,2000,10000').split(',').map(Number);
const VARIANTS: Variant[] = ['gitops-flow', 'seed', 'floor'];
/** `many`: only the 200-object scenario (no promote or crash-loop runs, no scale rows); `history`: only the long-history rows. */
const ONLY = process.env.BENCH_ONLY;
const log = (s: string) => process.stderr.write(`${s}\n`);

async function main(): Promise<void> {
  const toolPath = [await toolDir('kustomize'), await toolDir('kubectl')].join(':');
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${toolPath}:${process.env.PATH}` };
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    runs: RUNS,
    delaysMs: DELAYS,
    loadAtStart: loadavg()[0] ?? 0,
  };
  const rows: string[][] = [['scenario', 'measure', 'median (min–max)', 'goal', 'met']];
  if (ONLY === 'history') {
    // The long-history rows alone: no clusters, nothing else (docs/dev/performance.md).
    const h = await longHistories(env, RUNS);
    rows.push(['scale: long histories', '', '', '', ''], ...h.rows);
    results.scale = h.figures;
    process.stdout.write(`\n${render(rows)}`);
    save(results, render(rows));
    return;
  }

  // Verified promote, side by side, on one cluster per kwok pod-ready delay.
  const state = tempDir('gitops-flow-bench-clusters-');
  log(`starting ${DELAYS.length} local control plane(s) (pod-ready delays ${DELAYS.join(', ')} ms)`);
  const clusters = await Promise.all(
    DELAYS.map((d) => startCluster({ name: `uat-${d}ms`, dir: join(state, `${d}`), podReadyDelayMs: d })),
  );
  try {
    const kubeconfig = join(state, 'kubeconfig');
    await mergeKubeconfigs(
      clusters.map((c) => c.kubeconfig),
      kubeconfig,
    );
    const kenv = { ...env, KUBECONFIG: kubeconfig };
    const samples: PromoteSample[] = [];
    for (let r = 0; r < (ONLY === 'many' ? 0 : RUNS); r++) {
      for (const d of DELAYS) {
        // Rotate the order each run so no variant always goes first.
        for (const v of VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length] as Variant)) {
          const s = await promoteOnce(v, d, `uat-${d}ms`, kenv, `${r}${v[0]}${d}`);
          log(`  promote run ${r + 1}/${RUNS} delay ${d} ms ${v}: ${fmt(s.ms)} (detection ${fmt(s.detectionMs)})`);
          samples.push(s);
        }
      }
    }
    const promote: Record<
      string,
      Record<Variant, Stats> & { ratioToFloor: number; ratioToSeed: number; detection: Stats }
    > = {};
    for (const d of ONLY === 'many' ? [] : DELAYS) {
      const by = (v: Variant) => stats(samples.filter((s) => s.delayMs === d && s.variant === v).map((s) => s.ms));
      const g = by('gitops-flow');
      const entry = {
        'gitops-flow': g,
        seed: by('seed'),
        floor: by('floor'),
        ratioToFloor: g.median / by('floor').median,
        ratioToSeed: g.median / by('seed').median,
        detection: stats(
          samples.filter((s) => s.delayMs === d && s.variant === 'gitops-flow').map((s) => s.detectionMs),
        ),
      };
      promote[`${d}ms`] = entry;
      rows.push([`promote, pods ready after ${d / 1000} s`, 'gitops-flow', spread(g), '', '']);
      rows.push(['', 'seed recipe', spread(entry.seed), '', '']);
      rows.push(['', 'raw floor', spread(entry.floor), '', '']);
      rows.push(['', 'gitops-flow / floor', entry.ratioToFloor.toFixed(2), '≤ 1.30', yes(entry.ratioToFloor <= 1.3)]);
      rows.push(['', 'gitops-flow / seed', entry.ratioToSeed.toFixed(2), '< 1.00', yes(entry.ratioToSeed < 1)]);
      rows.push([
        '',
        'rollout detection latency',
        spread(entry.detection),
        '≤ 0.2 s',
        yes(entry.detection.median <= 200),
      ]);
    }
    results.promote = promote;

    // Verification: fail fast on a crash loop, and 200 objects in one render (on the 0 s cluster).
    const context = `uat-${DELAYS[0]}ms`;
    const crash: number[] = [];
    for (let r = 0; r < (ONLY === 'many' ? 0 : RUNS); r++) {
      crash.push(await crashReportOnce(context, kenv, `${r}`));
      log(`  crash-loop run ${r + 1}/${RUNS}: reported ${fmt(crash.at(-1) as number)} after the second restart`);
    }
    const crashStats = crash.length ? stats(crash) : undefined;
    if (crashStats)
      rows.push([
        'fail fast: crash-looping pod',
        'second restart → reported',
        spread(crashStats),
        '≤ 5 s',
        yes(crashStats.median <= 5000),
      ]);
    // A kwok node holds 110 pods: before the 200-object render and its floor (50 pods each, beside the
    // promote runs' leftovers) the first cluster gets two more nodes (330 pods). Only now, so the
    // promote rows run on the one-node cluster of earlier figures.
    await must(
      run(['kubectl', '--context', context, 'apply', '-f', '-'], { env: kenv, input: nodesYaml(3) }),
      'adding kwok nodes',
    );
    await must(
      run(['kubectl', '--context', context, 'wait', '--for=condition=Ready', 'node', '--all', '--timeout=60s'], {
        env: kenv,
      }),
      'kwok nodes Ready',
    );
    const many: ManySample[] = [];
    for (let r = 0; r < Math.min(RUNS, 3); r++) {
      many.push(await manyObjectsOnce(context, kenv, `${r}`));
      const m = many.at(-1) as ManySample;
      log(
        `  200 objects run ${r + 1}: gitops-flow ${fmt(m.gitopsFlowMs)} (${m.objects} verified over ${m.connections} watches), floor ${fmt(m.floorMs)}`,
      );
    }
    const manyG = stats(many.map((m) => m.gitopsFlowMs));
    const manyF = stats(many.map((m) => m.floorMs));
    const last = many.at(-1) as ManySample;
    rows.push(['deploy of 200 objects (50 Deployments)', 'gitops-flow', spread(manyG), '', '']);
    rows.push(['', 'raw floor (apply + kubectl get polled)', spread(manyF), '', '']);
    rows.push(['', 'gitops-flow / floor', (manyG.median / manyF.median).toFixed(2), '', '']);
    rows.push([
      '',
      'watch connections',
      `${last.connections} for ${last.objects} awaited objects`,
      'one per kind',
      yes(last.connections <= 4),
    ]);
    results.verify = {
      crashReport: crashStats,
      many: { gitopsFlow: manyG, floor: manyF, connections: last.connections, objects: last.objects },
    };
  } finally {
    await Promise.all(clusters.map((c) => c.stop()));
    rmSync(state, { recursive: true, force: true });
  }

  if (process.env.BENCH_SCALE === '0' || ONLY === 'many') {
    process.stdout.write(`\n${render(rows)}`);
    save(results, render(rows));
    return;
  }
  // Scale: 300 services in one overlay per env; and 300 overlays.
  log('scale: generating env repos');
  const scale: Record<string, Stats | number> = {};
  const timeIt = async (n: number, what: string, f: () => Promise<number>) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) xs.push(await f());
    log(`  ${what}: ${spread(stats(xs))}`);
    return stats(xs);
  };
  const big = repoWithRemote(manyImages(300));
  scale.status300 = await timeIt(
    RUNS,
    'status, 300 images',
    async () => (await must(gitopsFlow(['-C', big.clone, '--json', 'status', '--no-cluster'], { env }), 'status')).ms,
  );
  scale.promote300 = await timeIt(RUNS, 'promote --no-deploy, 300 images', async () => {
    const fresh = repoWithRemote(manyImages(300, `2.${Math.random().toString(36).slice(2, 8)}`));
    return (
      await must(
        gitopsFlow(['-C', fresh.clone, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'], { env }),
        'promote',
      )
    ).ms;
  });
  const small = repoWithRemote(manyImages(30));
  scale.render30 = await timeIt(
    RUNS,
    'render, 30 services',
    async () => (await must(gitopsFlow(['-C', small.clone, 'render', '--env', 'dev'], { env }), 'render')).ms,
  );
  scale.render300 = await timeIt(
    RUNS,
    'render, 300 services',
    async () => (await must(gitopsFlow(['-C', big.clone, 'render', '--env', 'dev'], { env }), 'render')).ms,
  );
  const renderRatio = (scale.render300 as Stats).median / (scale.render30 as Stats).median;
  scale.renderRatio = renderRatio;
  // The floor: kustomize build itself on the same overlays (its images transformer is superlinear).
  const raw = (clone: string) => async () =>
    (await must(run(['kustomize', 'build', join(clone, 'kustomizations/overlays/dev')], { env }), 'kustomize build'))
      .ms;
  scale.kustomize30 = await timeIt(3, 'kustomize build, 30 services', raw(small.clone));
  scale.kustomize300 = await timeIt(3, 'kustomize build, 300 services', raw(big.clone));
  const kustomizeRatio = (scale.kustomize300 as Stats).median / (scale.kustomize30 as Stats).median;
  scale.kustomizeRatio = kustomizeRatio;
  const overlays = repoWithRemote(manyOverlays(300));
  scale.status300overlays = await timeIt(
    RUNS,
    'status, 300 overlays',
    async () =>
      (await must(gitopsFlow(['-C', overlays.clone, '--json', 'status', '--no-cluster'], { env }), 'status')).ms,
  );

  const histories = await longHistories(env, 3);
  Object.assign(scale, histories.figures);
  results.scale = scale;
  rows.push([
    'scale: 300 services',
    'status',
    spread(scale.status300 as Stats),
    '< 1 s',
    yes((scale.status300 as Stats).median < 1000),
  ]);
  rows.push([
    '',
    'status, 300 overlays',
    spread(scale.status300overlays as Stats),
    '< 1 s',
    yes((scale.status300overlays as Stats).median < 1000),
  ]);
  rows.push([
    '',
    'promote (no cluster, with push)',
    spread(scale.promote300 as Stats),
    '< 3 s',
    yes((scale.promote300 as Stats).median < 3000),
  ]);
  rows.push(['', 'render 300 / render 30', renderRatio.toFixed(2), '≈ linear (≤ 10)', yes(renderRatio <= 10)]);
  rows.push(['', 'raw kustomize build 300 / 30', kustomizeRatio.toFixed(2), '(the floor)', '']);
  rows.push([
    '',
    'render 300 − kustomize 300 (our overhead)',
    fmt((scale.render300 as Stats).median - (scale.kustomize300 as Stats).median),
    '',
    '',
  ]);
  rows.push(...histories.rows);

  // Cold start and memory.
  const cold = await timeIt(
    20,
    'gitops-flow --version',
    async () => (await must(gitopsFlow(['--version'], { env }), '--version')).ms,
  );
  const node = await timeIt(
    20,
    'node -e 0 (baseline)',
    async () => (await must(run([process.execPath, '-e', '0']), 'node')).ms,
  );
  rows.push(['CLI cold start', 'gitops-flow --version', spread(cold), '< 150 ms', yes(cold.median < 150)]);
  rows.push(['', 'node -e 0 (same machine)', spread(node), '', '']);
  const rssStatus =
    (await must(gitopsFlow(['-C', big.clone, '--json', 'status', '--no-cluster'], { env, rss: true }), 'status'))
      .maxRssKb ?? 0;
  const fresh = repoWithRemote(manyImages(300, '3.0.0'));
  const rssPromote =
    (
      await must(
        gitopsFlow(['-C', fresh.clone, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'], { env, rss: true }),
        'promote',
      )
    ).maxRssKb ?? 0;
  rows.push(['memory (peak RSS)', 'status, 300 images', `${(rssStatus / 1024).toFixed(0)} MiB`, '', '']);
  rows.push(['', 'promote, 300 images', `${(rssPromote / 1024).toFixed(0)} MiB`, '', '']);
  results.coldStart = cold;
  results.nodeBaseline = node;
  results.memoryKb = { status300: rssStatus, promote300: rssPromote };

  const table = render(rows);
  process.stdout.write(`\n${table}`);
  save(results, table);
}

/** bench/results/<date>.json and latest.json, and the table into docs/dev/performance.md. */
function save(results: Record<string, unknown>, table: string): void {
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const json = `${JSON.stringify({ ...results, table }, null, 2)}\n`;
  writeFileSync(join(ROOT, 'bench', 'results', `${(results.date as string).replace(/[:.]/g, '-')}.json`), json);
  // A partial run (BENCH_ONLY) keeps its dated file but is not the latest full one.
  if (!ONLY) writeFileSync(join(ROOT, 'bench', 'results', 'latest.json'), json);
  // The long-history rows alone go in their own section's table, leaving the main table as it was.
  const [start, end] =
    ONLY === 'history'
      ? ['<!-- bench:history -->', '<!-- /bench:history -->']
      : ['<!-- bench:table -->', '<!-- /bench:table -->'];
  const doc = join(ROOT, 'docs', 'dev', 'performance.md');
  const text = readFileSync(doc, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/dev/performance.md needs the markers ${start} then ${end}`);
  const delays = `pod-ready delays ${(results.delaysMs as number[]).join(', ')} ms`;
  const only =
    ONLY === 'many'
      ? `${delays}, only the 200-object render`
      : ONLY === 'history'
        ? 'only the long-history rows, no clusters'
        : process.env.BENCH_SCALE === '0'
          ? `${delays}, scale rows skipped`
          : delays;
  // The machine's load, start and end: on 2 shared cores it moves every figure.
  const load = `load average ${(results.loadAtStart as number).toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}`;
  const head = `Generated by \`npm run bench\` on ${(results.date as string).slice(0, 10)} (runs: ${results.runs}, ${only}; ${load}):`;
  writeFileSync(doc, `${text.slice(0, from + start.length)}\n${head}\n\n${table}${text.slice(to)}`);
}

const yes = (ok: boolean) => (ok ? 'yes' : 'NO');

function render(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return `${[line(rows[0] ?? []), rule, ...rows.slice(1).map(line)].join('\n')}\n`;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
