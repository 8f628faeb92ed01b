/**
 * No dead code: knip (pinned in devDependencies, configured by knip.json) finds no unused file, export,
 * exported type or dependency from the entry points (the CLI, the package scripts, the bench, the
 * Dagger module, the tests). An export used only in its own file counts as used. A fixture with an
 * unused export, an unused file and an unused dependency proves the check is not vacuous.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../helpers/git-fixtures.js';

const KNIP = join(REPO_ROOT, 'node_modules', 'knip', 'bin', 'knip.js');

interface KnipIssue {
  file: string;
  [type: string]: unknown;
}

/** knip's findings in `dir`, one line each: `<type> <file>: <name>` (an unused file is named by its path). */
function findings(dir: string): string[] {
  const r = spawnSync(process.execPath, [KNIP, '--reporter', 'json', '--no-progress', '--no-config-hints'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  if (!r.stdout.startsWith('{')) throw new Error(`knip failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  const out: string[] = [];
  for (const issue of (JSON.parse(r.stdout) as { issues: KnipIssue[] }).issues) {
    for (const [type, value] of Object.entries(issue)) {
      if (type === 'file' || !Array.isArray(value)) continue;
      for (const v of value as { name: string }[]) out.push(`${type} ${issue.file}: ${v.name}`);
    }
  }
  return out.sort();
}

describe('dead code', () => {
  it('the repository: no unused file, export, exported type or dependency (knip)', () => {
    expect(findings(REPO_ROOT)).toEqual([]);
  }, 120_000);

  it('the check catches an unused export, an unused file and an unused dependency (fixture)', () => {
    const dir = tempDir();
    const files: Record<string, string> = {
      'package.json': JSON.stringify({
        name: 'fixture',
        type: 'module',
        dependencies: { 'left-pad': '1.3.0' },
      }),
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', strict: true }, include: ['src'] }),
      'knip.json': JSON.stringify({ entry: ['src/main.ts'], project: ['src/**/*.ts'], ignoreExportsUsedInFile: true }),
      'src/main.ts': "import { used } from './lib.js';\nconsole.log(used());\n",
      'src/lib.ts':
        'export function used(): number {\n  return local();\n}\nexport function local(): number {\n  return 1;\n}\nexport function unused(): number {\n  return 2;\n}\n',
      'src/orphan.ts': 'export const orphan = 1;\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    expect(findings(dir)).toEqual([
      'dependencies package.json: left-pad',
      'exports src/lib.ts: unused',
      'files src/orphan.ts: src/orphan.ts',
    ]);
  }, 120_000);
});
