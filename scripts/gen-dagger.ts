/**
 * Writes dagger/src/index.ts, the Dagger module's class, from src/cli/verbs.ts (see dagger-module.ts),
 * formatted by the project's Biome. `--check` writes nothing and exits 1 when the file is out of date.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { moduleSource } from './dagger-module.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const MODULE_FILE = 'dagger/src/index.ts';

/** The generated source as Biome formats it. */
export function formattedModule(): string {
  return execFileSync(`${ROOT}node_modules/.bin/biome`, ['format', `--stdin-file-path=${MODULE_FILE}`], {
    cwd: ROOT,
    input: moduleSource(),
    encoding: 'utf8',
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = formattedModule();
  if (process.argv.includes('--check')) {
    const current = readFileSync(`${ROOT}${MODULE_FILE}`, 'utf8');
    if (current !== text) {
      process.stderr.write(`${MODULE_FILE} is out of date: run npm run gen:dagger\n`);
      process.exit(1);
    }
  } else writeFileSync(`${ROOT}${MODULE_FILE}`, text);
}
