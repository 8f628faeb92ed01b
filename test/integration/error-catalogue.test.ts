/**
 * The error catalogue: every code the source can raise is triggered by a case of
 * test/integration/error-catalogue/ (run by error-catalogue-*.test.ts) or, when only a live cluster can
 * trigger it, in test/e2e/error-catalogue.e2e.test.ts, and what a user sees is checked — the exit code,
 * `error[CODE]`, the value at fault and the `hint:` line. This file reads the codes from src/ and fails
 * when one has no entry. Stubs are shell scripts named "STUB" in their first lines.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/git-fixtures.js';
import { CALL_CASES } from './error-catalogue/call-cases.js';
import { FORGE_CASES } from './error-catalogue/forge-cases.js';
import { REGISTRY_CASES } from './error-catalogue/registry-cases.js';
import { RELEASE_CASES } from './error-catalogue/release-cases.js';
import { REPO_CASES } from './error-catalogue/repo-cases.js';
import { TOOL_CASES } from './error-catalogue/tool-cases.js';

/** Every case run through the CLI (test/integration/error-catalogue-*.test.ts). */
const CLI_CASES = [...REPO_CASES, ...REGISTRY_CASES, ...RELEASE_CASES, ...TOOL_CASES, ...FORGE_CASES];

/** Every error code the source can raise: invalid()/failed() codes, `code: '…'` and literal `error[…]`. */
function codesInSource(): Map<string, string> {
  const codes = new Map<string, string>();
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) =>
      statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : [],
    );
  for (const file of walk(join(REPO_ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const add = (code: string) => codes.set(code, file.slice(REPO_ROOT.length));
    // The first argument of invalid(...)/failed(...) up to its comma, which may be a ternary of codes.
    for (const m of text.matchAll(/\b(?:invalid|failed)\(\s*([^,]+),/g))
      for (const c of (m[1] as string).matchAll(/'([A-Z][A-Z0-9_]+)'/g)) add(c[1] as string);
    for (const m of text.matchAll(/\bcode: '([A-Z][A-Z0-9_]+)'/g)) add(m[1] as string);
    for (const m of text.matchAll(/error\[([A-Z][A-Z0-9_]+)\]/g)) add(m[1] as string);
  }
  return codes;
}

describe('error catalogue: complete', () => {
  const e2eFile = join(REPO_ROOT, 'test/e2e/error-catalogue.e2e.test.ts');
  const e2eCodes = [...readFileSync(e2eFile, 'utf8').matchAll(/\bcode: '([A-Z][A-Z0-9_]+)'/g)].map(
    (m) => m[1] as string,
  );
  const tested = new Set([...CLI_CASES.map((c) => c.code), ...CALL_CASES.map((c) => c.code), ...e2eCodes]);

  it('every code used in src/ has an entry here or in the e2e catalogue', () => {
    const source = codesInSource();
    expect(source.size).toBeGreaterThan(40);
    const missing = [...source].filter(([code]) => !tested.has(code)).map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });

  it('no entry is for a code the source no longer has', () => {
    const source = codesInSource();
    expect([...tested].filter((c) => !source.has(c))).toEqual([]);
  });

  it('each code has one entry', () => {
    const all = [...CLI_CASES.map((c) => c.code), ...CALL_CASES.map((c) => c.code), ...e2eCodes];
    expect(all.filter((c, i) => all.indexOf(c) !== i)).toEqual([]);
  });
});
