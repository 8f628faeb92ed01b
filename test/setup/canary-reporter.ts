/**
 * The end-of-run scan of canary mode (test/setup/canary.ts): counts every occurrence of a canary in
 * the tool's captured stdout/stderr, in every file under the run's temp root (rendered artifacts,
 * `.git/config` of every clone, temp files) and in every object of every git repo there (commit
 * messages, notes, blobs). Any occurrence fails the run (exit code 1) and is listed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import { recordFigures } from '../helpers/figures.js';
import { canaries, canaryOn } from './canary.js';

export default class CanaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (!canaryOn()) return;
    const root = process.env.GITOPS_FLOW_CANARY_ROOT as string;
    const needles = canaries().map((c) => Buffer.from(c));
    const sources = new Set(
      existsSync(join(root, 'canary', 'sources'))
        ? readFileSync(join(root, 'canary', 'sources'), 'utf8')
            .split('\n')
            .filter(Boolean)
        : [],
    );
    // Controls: a file and a commit message that do hold a canary; the scan must find both, or it is blind.
    const control = join(root, 'canary-control');
    mkdirSync(control, { recursive: true });
    writeFileSync(join(control, 'control.txt'), `control ${canaries()[0]}\n`);
    const git = (a: string[]) =>
      spawnSync('git', ['-C', control, '-c', 'user.name=c', '-c', 'user.email=c@c', ...a], { encoding: 'utf8' });
    git(['init', '--quiet']);
    git(['commit', '--quiet', '--allow-empty', '-m', `control ${canaries()[0]}`]);
    const hits: string[] = [];
    const count = (where: string, data: Buffer) => {
      for (const n of needles) {
        let i = data.indexOf(n);
        while (i >= 0) {
          hits.push(`${where}: ${n.toString()}`);
          i = data.indexOf(n, i + n.length);
        }
      }
    };

    // The tool's output, as each run recorded it.
    let runs = 0;
    let outputBytes = 0;
    for (const f of readdirSync(join(root, 'canary')).filter((n) => n.startsWith('outputs-'))) {
      for (const line of readFileSync(join(root, 'canary', f), 'utf8')
        .split('\n')
        .filter(Boolean)) {
        const r = JSON.parse(line) as { argv: string[]; bytes: number; hits: string[] };
        runs++;
        outputBytes += r.bytes;
        for (const h of r.hits) hits.push(`output of gitops-flow ${r.argv.join(' ')}: ${h}`);
      }
    }

    // Every file under the root, and every git repo's objects.
    let files = 0;
    let bytes = 0;
    const repos: string[] = [];
    const walk = (dir: string) => {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return; // removed while we looked, or unreadable
      }
      if (names.includes('HEAD') && names.includes('objects') && names.includes('refs')) repos.push(dir);
      for (const name of names) {
        const p = join(dir, name);
        if (p === join(root, 'canary')) continue;
        const st = (() => {
          try {
            return lstatSync(p);
          } catch {
            return undefined;
          }
        })();
        if (!st) continue;
        if (st.isDirectory()) walk(p);
        else if (st.isFile() && !sources.has(p)) {
          files++;
          bytes += st.size;
          try {
            count(p, readFileSync(p));
          } catch {
            // gone in the meantime
          }
        }
      }
    };
    walk(root);
    let objects = 0;
    for (const repo of repos) {
      const r = spawnSync('git', ['--git-dir', repo, 'cat-file', '--batch-all-objects', '--batch'], {
        maxBuffer: 1 << 30,
      });
      if (r.status !== 0 || !r.stdout) continue;
      objects += (r.stdout.toString('latin1').match(/^[0-9a-f]{40} (?:commit|tree|blob|tag) \d+$/gm) ?? []).length;
      count(`git objects of ${repo}`, r.stdout);
    }

    const controls = hits.filter(
      (h) => h.startsWith(control) || h.startsWith(`git objects of ${join(control, '.git')}`),
    );
    const leaks = hits.filter((h) => !controls.includes(h));
    const seen = [
      controls.some((h) => h.startsWith(join(control, 'control.txt'))),
      controls.some((h) => h.startsWith(`git objects of ${join(control, '.git')}`)),
    ].filter(Boolean).length;
    if (seen !== 2) {
      process.stdout.write(
        `\ncanary scan: BLIND — found ${seen} of the 2 planted controls (a file, a commit message in a git object)\n`,
      );
      process.exitCode = 1;
    }
    hits.length = 0;
    hits.push(...leaks);
    const figures = {
      testFiles: testModules.length,
      toolRuns: runs,
      outputBytes,
      files,
      fileBytes: bytes,
      gitRepos: repos.length,
      gitObjects: objects,
      canaries: needles.length,
      occurrences: hits.length,
      controlsFound: seen,
    };
    // A run that never ran the tool says nothing about leaks: it does not replace a run that did.
    if (runs > 0) recordFigures('canary', figures);
    process.stdout.write(
      `\ncanary scan (${root}): ${runs} tool runs' stdout+stderr (${outputBytes} bytes), ${files} files (${bytes} bytes), ${repos.length} git repos (${objects} objects); ${needles.length} canaries: ${hits.length} occurrences (the 2 planted controls: ${seen} found)\n`,
    );
    if (hits.length > 0) {
      for (const h of hits.slice(0, 50)) process.stdout.write(`  LEAK ${h}\n`);
      process.exitCode = 1;
    }
  }
}
