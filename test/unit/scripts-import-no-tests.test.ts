/**
 * Issue 15 item 4: the product's own scripts never load test code. `npm start` (the demo),
 * `npm run cluster:up` and `cluster:down` run a file with tsx; the import closure of each, as
 * dependency-cruiser follows it, holds no module under test/. A fixture whose entry imports a test
 * helper through a product module proves the check is not vacuous.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../helpers/git-fixtures.js';
import { importGraph } from '../helpers/import-graph.js';

/** The file an npm script runs with tsx (`tsx <file>`), or undefined when it runs something else. */
function tsxEntry(script: string): string | undefined {
  return /^tsx ([\w./-]+\.ts)$/.exec(script.trim())?.[1];
}

/** Every module the entry loads, directly or not, as paths relative to `cwd`. */
async function closure(cwd: string, entry: string): Promise<string[]> {
  const graph = await importGraph(cwd, [entry]);
  return graph.modules.filter((m) => !m.coreModule && !m.couldNotResolve).map((m) => m.source);
}

const underTest = (modules: string[]) => modules.filter((m) => /^test\//.test(m));

describe('npm start and the cluster scripts load no test code', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

  it.each(['start', 'cluster:up', 'cluster:down'])(
    'npm run %s',
    async (name) => {
      const entry = tsxEntry(pkg.scripts[name] ?? '');
      expect(entry, `package.json's "${name}" runs a .ts file with tsx`).toBeDefined();
      const modules = await closure(REPO_ROOT, entry as string);
      // Not vacuous: the closure was followed into the control plane, which lives in src/cluster/.
      expect(modules).toContain('src/cluster/cluster.ts');
      expect(underTest(modules)).toEqual([]);
    },
    60_000,
  );

  it('the check finds a test helper reached through a product module (fixture)', async () => {
    const dir = tempDir();
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
        include: ['src', 'examples', 'test'],
      }),
      'examples/demo.ts': "import { up } from '../src/cluster/cluster.js';\nexport const demo = up;\n",
      'src/cluster/cluster.ts': "import { helper } from '../../test/helpers/h.js';\nexport const up = helper;\n",
      'test/helpers/h.ts': 'export const helper = 1;\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    expect(underTest(await closure(dir, 'examples/demo.ts'))).toEqual(['test/helpers/h.ts']);
  }, 60_000);
});
