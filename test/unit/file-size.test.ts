/**
 * Files small (house style): no source, test, script or Dagger module file is over 400 lines, so each
 * can be read whole. A file that grows past it is split along a real seam (docs/dev/layout.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/git-fixtures.js';

const MAX_LINES = 400;
const SOURCE = /\.(ts|mts|js|mjs)$/;
/** Ours, not installed: dagger/src holds the module (its generated class included), not its sdk/. */
const FOLDERS = ['src', 'test', 'dagger/src', 'scripts', 'bench', 'examples'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(path);
    return SOURCE.test(d.name) ? [path] : [];
  });
}

/** The lines an editor shows: a last line without a newline counts too. */
const lines = (text: string) => (text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0));

describe('file size', () => {
  it(`no file of src/, test/, dagger/src/, scripts/, bench/ or examples/ is over ${MAX_LINES} lines`, () => {
    const files = FOLDERS.flatMap((d) => sourceFiles(join(REPO_ROOT, d)));
    expect(files.length).toBeGreaterThan(200);
    const over = files
      .map((f) => ({ file: relative(REPO_ROOT, f), lines: lines(readFileSync(f, 'utf8')) }))
      .filter((f) => f.lines > MAX_LINES)
      .map((f) => `${f.file}: ${f.lines} lines`);
    expect(over).toEqual([]);
  });

  it('counts the lines an editor shows', () => {
    expect([lines(''), lines('a'), lines('a\n'), lines('a\nb\n'), lines('a\n\n')]).toEqual([0, 1, 1, 2, 2]);
  });
});
