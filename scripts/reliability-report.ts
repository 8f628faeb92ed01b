/**
 * The "Reliability" table of docs/dev/reliability.md, from the tests' own figures. Runs the reliability tests (the CI
 * counts; `--soak` the full ones, as `npm run test:soak`), then renders test/results/*.json — what
 * those tests wrote — as markdown. `--no-run` only renders the results already there; `--write`
 * replaces the table between docs/dev/reliability.md's `reliability-table` markers.
 *
 *   npm run reliability                  # run (CI counts) and print the table
 *   npm run reliability -- --soak --write
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'test', 'results');
const args = new Set(process.argv.slice(2));

/** The tests that measure something for the table (canary mode scans whatever ran). */
const RELIABILITY_TESTS = [
  'test/unit/fuzz-hostile-input.test.ts',
  'test/integration/concurrent-writers.test.ts',
  'test/integration/secrets-http.test.ts',
  'test/integration/replay-conflict.test.ts',
  'test/integration/crash-recovery.test.ts',
  'test/e2e/crash-trials.e2e.test.ts',
  'test/e2e/cluster-faults.e2e.test.ts',
];

interface Result {
  name: string;
  at: string;
  soak: boolean;
  canary: boolean;
  figures: Record<string, unknown>;
}

function read(name: string): Result | undefined {
  const f = join(RESULTS, `${name}.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Result) : undefined;
}

const range = (v: unknown) => (Array.isArray(v) ? (v[0] === v[1] ? `${v[0]}` : `${v[0]}–${v[1]}`) : String(v));

function rows(): string[][] {
  const out: string[][] = [];
  const when = (r: Result) => `${r.at.slice(0, 10)}${r.soak ? ', soak' : ''}`;
  const fuzz = read('fuzz');
  if (fuzz) {
    const f = fuzz.figures as { casesPerInput: number; inputs: number; cases: number };
    out.push([
      'hostile input (fuzz)',
      'test/unit/fuzz-hostile-input.test.ts',
      `${f.inputs} inputs × ${f.casesPerInput.toLocaleString('en')} seeded cases = ${f.cases.toLocaleString('en')} cases`,
      'only exit-2 validation errors, 0 crashes, 0 paths outside the repo, 0 forged trailers',
      when(fuzz),
    ]);
  }
  const cw = read('concurrent-writers');
  if (cw) {
    const f = cw.figures as Record<string, unknown>;
    out.push([
      'concurrent writers',
      'test/integration/concurrent-writers.test.ts',
      `${f.rounds} round(s) × ${f.writersPerRound} processes at once`,
      `${f.landed}/${Number(f.rounds) * Number(f.writersPerRound)} changes landed, ${f.lost} lost, ${f.forcePushes} force pushes; ${f.retries} retries (${range(f.retriesPerRound)} per round), at most ${f.maxAttempts} attempts for one writer`,
      when(cw),
    ]);
  }
  const crash = read('crash-trials');
  if (crash) {
    const f = crash.figures as Record<string, unknown>;
    const during = Object.entries(f.killedDuring as Record<string, number>)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    out.push([
      'crashes (kill -9)',
      'test/e2e/crash-trials.e2e.test.ts',
      `${f.trials} trials of \`promote\` (deploy + push over HTTP), seed ${f.seed}, kill within ${f.maxDelayMs} ms`,
      `${f.killed} killed mid-run (${during}); ${f.fsckFailures} fsck failures, ${f.duplicates} duplicate commits, ${f.clusterDiffs} cluster diffs against the render of the tip; ${f.staleLocksTakenOver} stale locks taken over; reruns: ${f.rerunLanded} landed the change, ${f.rerunNoChange} found it landed`,
      when(crash),
    ]);
  }
  const faults = read('cluster-faults');
  if (faults) {
    const f = faults.figures as Record<string, unknown>;
    out.push([
      'cluster faults',
      'test/e2e/cluster-faults.e2e.test.ts',
      `${f.outages} kube-apiserver outages of ${f.outageSeconds} s (mid-rollout wait, before the apply) + a never-ready rollout`,
      `${f.survived} deploys rode out the outage (${f.applyRetries} apply retries, ${f.waitResumes} resumed waits); ${f.reportedUnreachable} short-timeout deploy exited 1 CLUSTER_UNREACHABLE listing what was applied and the failed restore; ${f.restoredExactly} failed rollout restored to the last good render with 0 server-side diff`,
      when(faults),
    ]);
  }
  const http = read('secrets-http');
  if (http) {
    const f = http.figures as Record<string, number>;
    const leaks = ['outputs', 'commits', 'argvLogLeaks', 'cloneConfig', 'render', 'tempFiles', 'processArgv'].reduce(
      (n, k) => n + Number(f[k] ?? 0),
      0,
    );
    out.push([
      'token over HTTP',
      'test/integration/secrets-http.test.ts',
      '`suggest` against a real `git http-backend` that requires the token',
      `${leaks} occurrences in output, commits, .git/config (${f.gitConfigsSeen} reads), render, temp files, process argv`,
      when(http),
    ]);
  }
  const canary = read('canary');
  if (canary) {
    const f = canary.figures as {
      testFiles: number;
      canaries: number;
      occurrences: number;
      toolRuns: number;
      outputBytes: number;
      files: number;
      gitRepos: number;
      gitObjects: number;
    };
    out.push([
      'secrets (canary mode)',
      'test/setup/canary.ts, canary-reporter.ts',
      `${f.canaries} canaries (every credential variable, the kubeconfig's token, a key file) through a run of ${f.testFiles} test files`,
      `${f.occurrences} occurrences in ${f.toolRuns} tool runs' output (${f.outputBytes.toLocaleString('en')} bytes), ${f.files.toLocaleString('en')} files, ${f.gitRepos} git repos (${f.gitObjects.toLocaleString('en')} objects)`,
      when(canary),
    ]);
  }
  return out;
}

function table(): string {
  const r = rows();
  if (r.length === 0) throw new Error(`no figures in ${RESULTS}: run the tests first (npm run reliability)`);
  return [
    '| property | test | runs | result | measured |',
    '|---|---|---|---|---|',
    ...r.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}

if (!args.has('--no-run')) {
  const env = { ...process.env, ...(args.has('--soak') && { GITOPS_FLOW_SOAK: '1' }) };
  for (const step of [
    ['npm', 'run', 'build'],
    ['npx', 'vitest', 'run', ...RELIABILITY_TESTS],
  ]) {
    const r = spawnSync(step[0] as string, step.slice(1), { cwd: ROOT, env, stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`reliability: ${step.join(' ')} failed (exit ${r.status}); the table would not be honest`);
      process.exit(1);
    }
  }
}
const md = table();
if (args.has('--write')) {
  const readme = join(ROOT, 'docs', 'dev', 'reliability.md');
  const text = readFileSync(readme, 'utf8');
  const re = /(<!-- reliability-table:start -->\n)[\s\S]*?(<!-- reliability-table:end -->)/;
  if (!re.test(text)) throw new Error('docs/dev/reliability.md has no <!-- reliability-table:start/end --> markers');
  writeFileSync(readme, text.replace(re, `$1${md}\n$2`));
  console.log('docs/dev/reliability.md: reliability table updated');
}
console.log(md);
