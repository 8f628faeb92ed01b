/**
 * Issue 16, reproduction 6: names that reach the prototype, nesting that overflows the stack, a timer
 * that overflows, a file too big to parse and a --last-good that does not resolve — each a clear exit 2
 * (or, for the timeout, a step that runs as long as it needs).
 */
import { describe, expect, it } from 'vitest';
import { type CliResult, cleanEnv, runCli } from '../helpers/cli.js';
import { exampleFiles, makeRepo } from '../helpers/git-fixtures.js';

const cli = (dir: string, argv: string[]): Promise<CliResult> => runCli(['-C', dir, ...argv], { env: cleanEnv() });
const repoWith = (config: string, extra: Record<string, string> = {}) =>
  makeRepo(exampleFiles({ 'gitops-flow.yaml': config, ...extra }));
const SMOKE = 'pipelines:\n  smoke:\n    steps:\n      - run: [echo, hi]\n';

function expectInvalid(r: CliResult, code: string, text?: string) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain(`error[${code}]`);
  expect(r.stderr).not.toContain('INTERNAL');
  if (text) expect(r.stderr).toContain(text);
}

describe('user-given names are own keys only', () => {
  const dir = repoWith(SMOKE);
  it.each([
    [['run', 'constructor']],
    [['run', 'toString']],
    [['run', '__proto__']],
    [['pipelines', 'show', 'constructor']],
    [['pipelines', 'show', '__proto__']],
    [['pipelines', 'show', 'hasOwnProperty']],
  ])('%j → PIPELINE_UNKNOWN', async (argv) => {
    expectInvalid(await cli(dir, argv), 'PIPELINE_UNKNOWN');
  });

  it('pipelines show deploy --env constructor reads no hooks from the prototype', async () => {
    const r = await cli(dir, ['pipelines', 'show', 'deploy', '--env', 'constructor']);
    expect(r.code, r.stderr).toBe(0);
  });

  it.each([
    ['uses: pipeline/toString', `${SMOKE}      - uses: pipeline/toString\n`, 'no pipeline "toString"'],
    ['uses: pipeline/constructor', `${SMOKE}      - uses: pipeline/constructor\n`, 'no pipeline "constructor"'],
    ['a pipeline named __proto__', 'pipelines:\n  __proto__:\n    steps: [{run: [echo]}]\n', '__proto__'],
  ])('%s → CONFIG_INVALID on every command', async (_, config, text) => {
    const d = repoWith(config);
    expectInvalid(await cli(d, ['status', '--no-cluster']), 'CONFIG_INVALID', text);
  });
});

describe('nesting, size and timers are bounded', () => {
  const parens = `${'('.repeat(20_000)}true${')'.repeat(20_000)}`;
  it.each([
    ['an if: of 20,000 parentheses', `pipelines:\n  p:\n    steps:\n      - run: [echo]\n        if: "${parens}"\n`],
    ['a ${{ }} of 20,000 parentheses', `pipelines:\n  p:\n    steps:\n      - run: [echo, "\${{ ${parens} }}"]\n`],
    ['20,000 "!"', `pipelines:\n  p:\n    steps:\n      - run: [echo]\n        if: "${'!'.repeat(20_000)}true"\n`],
    ['20,000 nested [ ]', `order: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`],
  ])('%s → CONFIG_INVALID, even for status', async (_, config) => {
    const r = await cli(repoWith(config), ['status', '--no-cluster']);
    expectInvalid(r, 'CONFIG_INVALID');
    expect(r.stderr.length).toBeLessThan(4000);
  });

  it('a 24.8 MB gitops-flow.yaml is refused before it is parsed', async () => {
    const big = `environments:\n${'  # padding padding padding padding padding padding padding padding\n'.repeat(370_000)}  dev: {}\n`;
    expect(big.length).toBeGreaterThan(24_000_000);
    expectInvalid(await cli(repoWith(big), ['status', '--no-cluster']), 'CONFIG_INVALID', 'at most 1 MB');
  });

  it('a kustomization over 1 MB, or nested 20,000 deep, is KUSTOMIZATION_INVALID', async () => {
    const dev = 'kustomizations/overlays/dev/kustomization.yaml';
    const huge = `${exampleFiles()[dev]}\n${'# pad pad pad pad pad pad pad pad pad pad pad pad pad pad pad pad pad pad\n'.repeat(20_000)}`;
    expectInvalid(
      await cli(makeRepo(exampleFiles({ [dev]: huge })), ['status', '--no-cluster']),
      'KUSTOMIZATION_INVALID',
    );
    const deep = `images: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    expectInvalid(
      await cli(makeRepo(exampleFiles({ [dev]: deep })), ['status', '--no-cluster']),
      'KUSTOMIZATION_INVALID',
    );
  });

  it('a step timeout: 9999999h is clamped, so the step runs to its end instead of timing out at once', async () => {
    const dir = repoWith(
      'pipelines:\n  slow:\n    steps:\n      - run: [sh, -c, "sleep 0.3; echo finished"]\n        timeout: 9999999h\n',
    );
    const r = await cli(dir, ['run', 'slow']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('finished');
    expect(r.stderr).not.toContain('TimeoutOverflow');
  });

  it('deploy --last-good <bad ref> is REF_UNKNOWN, before anything is rendered or applied', async () => {
    const r = await cli(repoWith(SMOKE), ['deploy', '--env', 'dev', '--last-good', 'no-such-ref']);
    expectInvalid(r, 'REF_UNKNOWN', 'no-such-ref');
    expect(r.stderr).not.toMatch(/Applying|kubectl/);
  });
});
