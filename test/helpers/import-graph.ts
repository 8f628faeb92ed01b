/**
 * The import graph of TypeScript sources as dependency-cruiser follows it (type-only imports
 * included, node_modules and dist left out), for the tests that check what imports what.
 */
import { join } from 'node:path';
import { cruise, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import extractTsConfig from 'dependency-cruiser/config-utl/extract-ts-config';

/** Cruises `entries` (files or folders) under `cwd`, with its tsconfig.json; `extra` adds options (rules). */
export async function importGraph(cwd: string, entries: string[], extra: ICruiseOptions = {}): Promise<ICruiseResult> {
  const tsConfig = extractTsConfig(join(cwd, 'tsconfig.json'));
  const r = await cruise(
    entries,
    {
      baseDir: cwd,
      tsPreCompilationDeps: true,
      tsConfig: { fileName: join(cwd, 'tsconfig.json') },
      doNotFollow: { path: 'node_modules' },
      exclude: { path: '^(node_modules|dist)/' },
      ...extra,
    },
    {},
    { tsConfig },
  );
  if (typeof r.output === 'string') throw new Error(r.output);
  return r.output;
}
