/**
 * The layers point one way (docs/dev/layout.md): cli → commands → steps → adapters → core. Checked on
 * the import graph by dependency-cruiser: core imports nothing above it, a verb never imports another,
 * no module imports a layer above its own, only adapters start programs, and there are no cycles. A
 * fixture with one violation of each rule proves the rules are not vacuous.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IForbiddenRuleType, IViolation } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/git-fixtures.js';
import { importGraph } from '../helpers/import-graph.js';

const above = (layers: string) => `^src/(${layers})/`;

/** The rules, for any tree laid out as src/{cli,commands,steps,adapters,core}. */
const RULES: IForbiddenRuleType[] = [
  {
    name: 'core-is-pure',
    comment: 'core imports nothing of src outside itself',
    severity: 'error',
    from: { path: '^src/core/' },
    to: { path: '^src/', pathNot: '^src/core/' },
  },
  {
    name: 'adapters-below-steps',
    severity: 'error',
    from: { path: '^src/adapters/' },
    to: { path: above('steps|commands|cli|cluster') },
  },
  {
    name: 'steps-below-commands',
    severity: 'error',
    from: { path: '^src/steps/' },
    to: { path: above('commands|cli') },
  },
  {
    name: 'commands-below-cli',
    severity: 'error',
    from: { path: '^src/commands/' },
    to: { path: above('cli') },
  },
  {
    name: 'no-verb-imports-another',
    severity: 'error',
    from: { path: '^src/commands/([^/]+)/' },
    to: { path: '^src/commands/', pathNot: '^src/commands/$1/' },
  },
  {
    name: 'one-registry',
    comment: 'a step finds other steps in its context: importing the registry that lists it is a cycle',
    severity: 'error',
    from: { path: '^src/steps/', pathNot: '^src/steps/(config|registry)\\.ts$' },
    to: { path: '^src/steps/(config|registry)\\.ts$' },
  },
  {
    name: 'programs-run-in-adapters',
    comment: 'git, kubectl, kustomize, gcloud and run: commands start only in src/adapters (the exec wrapper)',
    severity: 'error',
    from: { path: '^src/(core|steps|commands|cli)/' },
    to: { dependencyTypes: ['core'], path: '^(node:)?child_process$' },
  },
  {
    name: 'exec-in-adapters',
    comment:
      'the exec wrapper is called by adapters (one function per git/kubectl/kustomize/gcloud operation) and the run: step runner',
    severity: 'error',
    from: { path: '^src/(core|steps|commands|cli)/', pathNot: '^src/steps/engine/run-step\\.ts$' },
    to: { path: '^src/adapters/exec\\.ts$' },
  },
  { name: 'no-cycles', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
];

async function violations(cwd: string): Promise<{ modules: number; violations: IViolation[] }> {
  const graph = await importGraph(cwd, ['src'], { validate: true, ruleSet: { forbidden: RULES } });
  return { modules: graph.modules.length, violations: graph.summary.violations };
}

const shown = (v: IViolation[]) =>
  v.map((x) => `${x.rule.name}: ${x.from} → ${x.to}${x.cycle ? ` (${x.cycle.map((c) => c.name).join(' → ')})` : ''}`);

describe('layers', () => {
  it('src: every import points down, no verb imports another, no cycles', async () => {
    const r = await violations(process.cwd());
    expect(r.modules).toBeGreaterThan(100);
    expect(shown(r.violations)).toEqual([]);
  }, 60_000);

  it('the rules catch a violation of each (fixture)', async () => {
    const dir = tempDir();
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
        include: ['src'],
      }),
      'src/core/pure.ts': "import { step } from '../steps/step.js';\nexport const pure = step;\n",
      'src/adapters/git.ts': "import { run } from '../commands/a/index.js';\nexport const git = run;\n",
      'src/steps/step.ts': "export const step = 1;\nimport { main } from '../cli/main.js';\nexport const m = main;\n",
      'src/steps/registry.ts': "import { step } from './step.js';\nexport const STEPS = [step];\n",
      'src/steps/uses-registry.ts': "import { STEPS } from './registry.js';\nexport const all = STEPS;\n",
      'src/commands/a/index.ts': "import { b } from '../b/index.js';\nexport const run = b;\n",
      'src/commands/b/spawn.ts': "import { spawn } from 'node:child_process';\nexport const s = spawn;\n",
      'src/commands/b/exec.ts': "import { exec } from '../../adapters/exec.js';\nexport const e = exec;\n",
      'src/adapters/exec.ts': 'export const exec = 1;\n',
      'src/commands/b/index.ts': "import { main } from '../../cli/main.js';\nexport const b = main;\n",
      'src/cli/main.ts': "import { git } from '../adapters/git.js';\nexport const main = git;\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const names = new Set((await violations(dir)).violations.map((v) => v.rule.name));
    expect([...names].sort()).toEqual(RULES.map((r) => r.name as string).sort());
  }, 60_000);
});
