/**
 * Each built-in step is one file, found where its name says (docs/dev/layout.md): `git/push` is
 * src/steps/git/push.ts, exporting exactly one Step whose name is that path; the registry lists
 * exactly the steps those files define, and docs/pipelines.md names each.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STEPS } from '../../src/steps/registry.js';
import { REPO_ROOT } from '../helpers/git-fixtures.js';

const STEPS_DIR = join(REPO_ROOT, 'src', 'steps');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

/** The steps a file defines: the `name:` of each `export const x: Step = {`. */
function stepsIn(text: string): string[] {
  return [...text.matchAll(/^export const \w+: Step = \{\n\s+name: '([^']+)'/gm)].map((m) => m[1] as string);
}

describe('steps layout', () => {
  const defined = files(STEPS_DIR).flatMap((f) => {
    const names = stepsIn(readFileSync(f, 'utf8'));
    return names.length ? [{ file: relative(STEPS_DIR, f), names }] : [];
  });

  it('each step file defines one step, named by its path under src/steps', () => {
    expect(defined.length).toBeGreaterThan(10);
    const wrong = defined.filter((d) => d.names.length !== 1 || `${d.names[0]}.ts` !== d.file);
    expect(wrong).toEqual([]);
  });

  it('the registry lists exactly the steps the files define', () => {
    expect([...STEPS.keys()].sort()).toEqual(defined.flatMap((d) => d.names).sort());
  });

  it('docs/pipelines.md names every built-in step', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'pipelines.md'), 'utf8');
    expect([...STEPS.keys()].filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
  });

  it('the name pattern finds a step in a file like a step file (fixture)', () => {
    const text = "export const gitPush: Step = {\n  name: 'git/push',\n  summary: 'x',\n};\n";
    expect(stepsIn(text)).toEqual(['git/push']);
    expect(stepsIn("export const helper = { name: 'x' };\n")).toEqual([]);
  });
});
