/**
 * Renders the README's two commands as ci/fresh-machine.sh measured them (bench/results/readme-*.json)
 * into README.md and docs/dev/testing.md, between `<!-- first-run:start -->` and `<!-- first-run:end -->`,
 * so the first-run figures in the docs are the measured ones (issues 14 and 15).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Run {
  command: string;
  caches: 'cold' | 'warm';
  commit: string;
  date: string;
  exitCode: number;
  wallSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  loadAverage: { mean: number | null; max: number | null };
  cores: number;
  removedPackages: string;
}

const COMMANDS = [
  ['start', '`npm ci && npm start` (the demo)'],
  ['test', '`.ci/run`: `npm ci && npm test`, then typecheck and lint'],
] as const;

function load(what: string, caches: string): Run | undefined {
  const file = join(ROOT, 'bench', 'results', `readme-${what}-${caches}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Run) : undefined;
}

const minutes = (s: number) => `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;

function cell(run: Run | undefined, detail: boolean): string {
  if (!run) return 'not measured';
  if (run.exitCode !== 0) return `failed (exit ${run.exitCode}) after ${minutes(run.wallSeconds)}`;
  const cpu = `${Math.round(run.userSeconds + run.systemSeconds)} CPU-s`;
  const more = detail ? `, ${run.commit.slice(0, 7)} on ${run.date.slice(0, 10)}` : '';
  return `**${minutes(run.wallSeconds)}** (${cpu}; load ${run.loadAverage.mean ?? '?'} on ${run.cores} cores${more})`;
}

function table(detail: boolean): string {
  const rows = COMMANDS.map(([what, label]) => {
    return `| ${label} | ${cell(load(what, 'cold'), detail)} | ${cell(load(what, 'warm'), detail)} |`;
  });
  const cold = COMMANDS.map(([what]) => load(what, 'cold')).find(Boolean);
  const removed = cold?.removedPackages ? `, the packages ${cold.removedPackages} removed` : '';
  return [
    `Measured by \`sudo ci/fresh-machine.sh start|test [--warm]\`: a fresh clone run in an overlay of the machine${removed};`,
    'cold with every cache empty (pinned tools, Go module and build caches, npm), warm with them filled.',
    'Load average is the mean of 30-second samples over the run: on a shared machine the wall times are upper',
    'bounds, and the CPU seconds are the figure that does not depend on the load.',
    '',
    '| command | first run (cold) | later runs (warm) |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

function write(file: string, detail: boolean): void {
  const path = join(ROOT, file);
  const text = readFileSync(path, 'utf8');
  const re = /(<!-- first-run:start -->\n)[\s\S]*?(<!-- first-run:end -->)/;
  if (!re.test(text)) throw new Error(`${file} has no <!-- first-run:start/end --> markers`);
  writeFileSync(
    path,
    text.replace(re, (_, start: string, end: string) => `${start}${table(detail)}${end}`),
  );
}

write('README.md', false);
write('docs/dev/testing.md', true);
