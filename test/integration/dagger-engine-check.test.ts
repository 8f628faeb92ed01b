/**
 * `npm run test:dagger` without an engine fails saying why (it never skips): the command as the README's
 * readers run it, on this machine, which has no engine — and the reasons the check gives for each way an
 * engine can be missing.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { atLeast, findDagger, requireEngine } from '../dagger/engine.js';
import { REPO_ROOT, tempDir } from '../helpers/git-fixtures.js';

/** PATH with node and the system's tools only: no dagger CLI can be on it. */
const PATH = `${dirname(process.execPath)}:/usr/bin:/bin`;

describe('npm run test:dagger without an engine', () => {
  it('exits non-zero before building anything, naming what is missing and where it runs', () => {
    const r = spawnSync('npm', ['run', 'test:dagger'], {
      cwd: REPO_ROOT,
      env: { PATH, HOME: tempDir('gitops-flow-home-') },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error[NO_DAGGER_ENGINE]: npm run test:dagger needs a Dagger engine');
    expect(r.stderr).toContain('no dagger CLI on PATH (nor DAGGER_BIN), and _EXPERIMENTAL_DAGGER_RUNNER_HOST is unset');
    expect(r.stderr).toContain('docs/ci-and-dagger.md#testing-on-a-real-engine');
    // The first step failed: neither the tools' setup nor the build ran.
    expect(`${r.stdout}${r.stderr}`).not.toContain('ci/setup.sh:');
    expect(r.stdout).not.toContain('> node scripts/bundle.mjs');
  });

  it('an engine address without the CLI to call it is named as such', () => {
    const found = findDagger({ PATH, _EXPERIMENTAL_DAGGER_RUNNER_HOST: 'tcp://127.0.0.1:1234' });
    expect(found).toEqual({
      missing: expect.stringContaining('_EXPERIMENTAL_DAGGER_RUNNER_HOST names an engine (tcp://127.0.0.1:1234)'),
    });
  });

  it('a DAGGER_BIN that is not an executable is refused; one that is, is used', () => {
    const dir = tempDir('gitops-flow-dagger-bin-');
    const file = join(dir, 'dagger');
    writeFileSync(file, '#!/bin/sh\nexit 1\n');
    expect(findDagger({ PATH, DAGGER_BIN: file })).toEqual({ missing: expect.stringContaining('not an executable') });
    chmodSync(file, 0o755);
    expect(findDagger({ PATH, DAGGER_BIN: file })).toEqual({ dagger: file });
  });

  it('a CLI that cannot reach an engine fails with what the CLI said (stub CLI: no engine exists here)', () => {
    const dir = tempDir('gitops-flow-dagger-bin-');
    const file = join(dir, 'dagger');
    writeFileSync(file, '#!/bin/sh\necho "failed to connect to engine: connection refused" >&2\nexit 1\n');
    chmodSync(file, 0o755);
    expect(() => requireEngine({ PATH: `${dir}:${PATH}` })).toThrow(
      /could not reach an engine:\nfailed to connect to engine: connection refused/,
    );
  });

  it('an engine older than the module needs is refused (stub CLI answering a version)', () => {
    const dir = tempDir('gitops-flow-dagger-bin-');
    const file = join(dir, 'dagger');
    writeFileSync(file, '#!/bin/sh\necho v0.21.8\n');
    chmodSync(file, 0o755);
    expect(() => requireEngine({ PATH: `${dir}:${PATH}` })).toThrow('the engine is v0.21.8; the module needs v0.21.9');
    expect(atLeast('v0.21.10', 'v0.21.9')).toBe(true);
    expect(atLeast('v0.22.0', 'v0.21.9')).toBe(true);
    expect(atLeast('v0.21.9', 'v0.21.9')).toBe(true);
    expect(atLeast('v0.20.99', 'v0.21.9')).toBe(false);
  });
});
