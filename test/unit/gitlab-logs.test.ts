/** GitLab-native output: collapsible step sections, colour decisions, and the deploy.env dotenv report. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DOTENV_MAX_BYTES, deployEnvText, writeDeployEnv } from '../../src/adapters/deploy-env.js';
import { GitopsError, invalid } from '../../src/core/errors.js';
import type { Scope } from '../../src/core/expressions.js';
import { colorEnabled, createLogger, type Io } from '../../src/core/io.js';
import { type EngineStep, runPipeline } from '../../src/steps/engine/engine.js';
import { tempDir } from '../helpers/git-fixtures.js';

function io(env: NodeJS.ProcessEnv, tty = false): Io & { err(): string } {
  const stderr = Object.assign(new PassThrough(), tty ? { isTTY: true } : {});
  const chunks: Buffer[] = [];
  stderr.on('data', (b: Buffer) => chunks.push(b));
  return { cwd: '/', env, stdout: new PassThrough(), stderr, err: () => Buffer.concat(chunks).toString() };
}

const emptyScope = (): Scope => ({ inputs: {}, env: {}, steps: {}, environment: {}, pipeline: {}, status: 'success' });
const NOW = 1_760_000_000_123;
const steps: EngineStep[] = [
  { name: 'images/set', run: async () => 'succeeded' },
  { name: 'git/commit', run: async () => 'skipped' },
];

describe('GitLab sections', () => {
  it('wrap each step in GitLab CI, with sanitized unique ids; the result line stays outside', async () => {
    const o = io({ GITLAB_CI: 'true' });
    await runPipeline(steps, emptyScope(), createLogger(o, { verbose: false, now: () => NOW }));
    const lines = o.err().split('\n');
    expect(lines[0]).toBe(
      '\x1b[0Ksection_start:1760000000:gitops_flow_1_images_set[collapsed=true]\r\x1b[0Kimages/set',
    );
    expect(lines[1]).toBe('\x1b[0Ksection_end:1760000000:gitops_flow_1_images_set\r\x1b[0K');
    expect(lines[2]).toMatch(/^✓ images\/set \(\d+ ms\)$/);
    expect(lines[3]).toBe(
      '\x1b[0Ksection_start:1760000000:gitops_flow_2_git_commit[collapsed=true]\r\x1b[0Kgit/commit',
    );
    expect(lines[4]).toBe('\x1b[0Ksection_end:1760000000:gitops_flow_2_git_commit\r\x1b[0K');
    expect(lines[5]).toBe('- git/commit: nothing to do');
  });

  it('are closed when a step fails, before the ✗ line', async () => {
    const o = io({ GITLAB_CI: 'true' });
    const boom: EngineStep = {
      name: 'apply',
      run: async () => {
        throw invalid('X', 'no', 'fix');
      },
    };
    await expect(
      runPipeline([boom], emptyScope(), createLogger(o, { verbose: false, now: () => NOW })),
    ).rejects.toBeInstanceOf(GitopsError);
    expect(o.err().split('\n').slice(0, 3)).toEqual([
      '\x1b[0Ksection_start:1760000000:gitops_flow_1_apply[collapsed=true]\r\x1b[0Kapply',
      '\x1b[0Ksection_end:1760000000:gitops_flow_1_apply\r\x1b[0K',
      '✗ apply',
    ]);
  });

  it.each([[{}], [{ GITLAB_CI: 'false' }], [{ CI: 'true' }]])('are not printed outside GitLab CI (%j)', async (env) => {
    const o = io(env);
    await runPipeline(steps, emptyScope(), createLogger(o, { verbose: false }));
    expect(o.err()).not.toContain('section_');
    expect(o.err()).not.toContain('\x1b');
  });

  it('scrub secrets and control characters from titles', () => {
    const o = io({ GITLAB_CI: 'true', GITOPS_FLOW_GIT_TOKEN: 'glpat-secret' });
    createLogger(o, { verbose: false, now: () => NOW }).section?.('a b/c', 'push glpat-secret\nx')();
    expect(o.err()).toContain(':gitops_flow_1_a_b_c[collapsed=true]\r\x1b[0Kpush [MASKED] x\n');
  });
});

describe('colour', () => {
  it.each([
    [{}, true, true],
    [{}, false, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: '1', FORCE_COLOR: '1' }, true, false],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '0' }, false, false],
    [{ TERM: 'dumb' }, true, false],
  ])('env %j, tty %s → %s', (env, tty, want) => {
    expect(colorEnabled(io(env, tty))).toBe(want);
  });
});

/** GitLab's own reading of a dotenv report: each line `^(.*?)=(.*)$`, both sides stripped. */
function gitlabParse(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/(?<=\n)/)) {
    const m = /^(.*?)=(.*)$/m.exec(line);
    if (!m) throw new Error(`Invalid Format: ${JSON.stringify(line)}`);
    out[(m[1] as string).trim()] = (m[2] as string).trim();
  }
  return out;
}

describe('deploy.env', () => {
  const images = {
    'order-manager-image': 'registry.example.com/team/order-manager:2.3.0',
    'application-image': 'registry.example.com/team/app:1.4.2@sha256:' + 'a'.repeat(64),
  };

  it("is one KEY=value line per key, read back by GitLab's parser exactly", async () => {
    const path = join(tempDir(), '.gitops-flow', 'deploy.env');
    const text = await writeDeployEnv({
      path,
      env: 'dev',
      commit: 'c0ffee'.repeat(6) + 'c0ff',
      images,
      url: 'https://dev.example.com/app?x=1',
    });
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trimEnd().split('\n')).toHaveLength(4);
    expect(gitlabParse(text)).toEqual({
      GITOPS_FLOW_ENV: 'dev',
      GITOPS_FLOW_COMMIT: 'c0ffee'.repeat(6) + 'c0ff',
      GITOPS_FLOW_IMAGES: `application-image=${images['application-image']},order-manager-image=${images['order-manager-image']}`,
      GITOPS_FLOW_ENVIRONMENT_URL: 'https://dev.example.com/app?x=1',
    });
    expect(existsSync(`${path}.${process.pid}.tmp`)).toBe(false);
  });

  it('leaves out the URL when there is none', () => {
    expect(deployEnvText({ env: 'uat', commit: 'abc', images: {} })).toBe(
      'GITOPS_FLOW_ENV=uat\nGITOPS_FLOW_COMMIT=abc\nGITOPS_FLOW_IMAGES=\n',
    );
  });

  it.each([
    [{ url: 'https://x.example.com\nGITOPS_FLOW_ENV=prod' }, 'GITOPS_FLOW_ENVIRONMENT_URL'],
    [{ url: 'https://x.example.com\r' }, 'GITOPS_FLOW_ENVIRONMENT_URL'],
    [{ url: ' https://x.example.com' }, 'GITOPS_FLOW_ENVIRONMENT_URL'],
    [{ env: 'dev\u001b[31m' }, 'GITOPS_FLOW_ENV'],
    [{ images: { 'a,b': 'reg/x:1' } }, 'Image'],
    [{ images: { a: 'reg/x:1\nGITOPS_FLOW_ENV=prod' } }, 'Image'],
  ])('refuses %j instead of writing a second line (DOTENV_VALUE_INVALID)', async (bad, what) => {
    const path = join(tempDir(), 'deploy.env');
    const e = await writeDeployEnv({ path, env: 'dev', commit: 'abc', images: {}, ...bad }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GitopsError);
    expect((e as GitopsError).code).toBe('DOTENV_VALUE_INVALID');
    expect((e as GitopsError).message).toContain(what);
    expect(existsSync(path)).toBe(false);
  });

  it(`refuses a file GitLab would reject (${DOTENV_MAX_BYTES} bytes or more): DOTENV_TOO_LARGE`, async () => {
    const many = Object.fromEntries(
      Array.from({ length: 120 }, (_, i) => [`image-${i}`, `registry.example.com/team/app-${i}:1.0.0`]),
    );
    const path = join(tempDir(), 'deploy.env');
    const e = await writeDeployEnv({ path, env: 'dev', commit: 'abc', images: many }).catch((x: unknown) => x);
    expect((e as GitopsError).code).toBe('DOTENV_TOO_LARGE');
    expect(existsSync(path)).toBe(false);
  });
});
