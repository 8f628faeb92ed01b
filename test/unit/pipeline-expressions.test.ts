import { describe, expect, it } from 'vitest';
import {
  conditionHolds,
  evaluate,
  interpolate,
  parseCondition,
  parseExpression,
  type Scope,
  templateExpressions,
} from '../../src/core/expressions.js';

const scope = (over: Partial<Scope> = {}): Scope => ({
  inputs: { env: 'prod', count: '3', dry: false, name: "it's" },
  env: { HOME: '/home/x', EMPTY: '' },
  steps: {
    smoke: { outputs: { status: 'ok', latency: '120' }, outcome: 'success' },
    'db-migrate': { outputs: { version: '42' }, outcome: 'failure' },
  },
  environment: { name: 'prod', url: 'https://prod.example.com' },
  pipeline: { name: 'release' },
  status: 'success',
  ...over,
});

describe('expressions: evaluation', () => {
  it.each([
    ["'text'", 'text'],
    ["'it''s'", "it's"],
    ['42', 42],
    ['-1.5', -1.5],
    ['true', true],
    ['null', null],
    ['inputs.env', 'prod'],
    ['inputs.missing', null],
    ['env.HOME', '/home/x'],
    ['environment.name', 'prod'],
    ['pipeline.name', 'release'],
    ['steps.smoke.outputs.status', 'ok'],
    ['steps.db-migrate.outputs.version', '42'],
    ['steps.db-migrate.outcome', 'failure'],
    ['steps.nope.outputs.x', null],
    ["inputs.env == 'prod'", true],
    ["inputs.env != 'prod'", false],
    ['inputs.count < 10', true],
    ["inputs.count > '2'", true],
    ['steps.smoke.outputs.latency >= 120', true],
    ['steps.smoke.outputs.latency <= 119', false],
    ["'b' > 'a'", true],
    ['!inputs.dry', true],
    ['!!env.EMPTY', false],
    ["inputs.env == 'prod' && steps.smoke.outputs.status == 'ok'", true],
    ["inputs.env == 'dev' || env.HOME", '/home/x'],
    ["(inputs.env == 'dev' || true) && false", false],
    ["contains(environment.url, 'prod')", true],
    ["startsWith(environment.url, 'https://')", true],
    ["endsWith(environment.url, '.org')", false],
    ['success()', true],
    ['failure()', false],
    ['always()', true],
    ['cancelled()', false],
  ])('%s → %j', (src, want) => {
    expect(evaluate(parseExpression(src), scope())).toEqual(want);
  });

  it('interpolates ${{ }} in strings; missing values read as empty', () => {
    expect(
      interpolate(
        '${{ environment.url }}/healthz?v=${{ steps.db-migrate.outputs.version }}${{ inputs.missing }}',
        scope(),
      ),
    ).toBe('https://prod.example.com/healthz?v=42');
    expect(interpolate('no expressions', scope())).toBe('no expressions');
  });
});

describe('expressions: conditions', () => {
  it.each([
    ['success()', 'success', true],
    ['success()', 'failure', false],
    ['failure()', 'failure', true],
    ['always()', 'failure', true],
    ["${{ inputs.env == 'prod' }}", 'success', true],
    // Without a status function a condition means success() && (…), as in GitHub Actions.
    ["inputs.env == 'prod'", 'failure', false],
    ["failure() && inputs.env == 'prod'", 'failure', true],
  ] as const)('if: %s while %s → %s', (src, status, want) => {
    expect(conditionHolds(parseCondition(src), scope({ status }))).toBe(want);
  });
});

describe('expressions: rejected, with a message that says why', () => {
  it.each([
    ['', 'empty expression'],
    ["'open", 'unterminated string starting at 1'],
    ['inputs.env ==', 'expected a value, got the end of the expression'],
    ['inputs.env = 1', 'unexpected character "=" at 12'],
    ['secrets.TOKEN', 'unknown context "secrets" (have: inputs, env, steps, environment, pipeline)'],
    [
      'eval(1)',
      'unknown function eval() (have: success(), failure(), always(), cancelled(), contains(), startsWith(), endsWith())',
    ],
    ['success(1)', 'success() takes 0 argument(s), got 1'],
    ['contains(inputs.env)', 'contains() takes 2 argument(s), got 1'],
    ['(true', 'expected ")", got the end of the expression'],
    ['inputs.', 'expected a name after ".", got the end of the expression'],
    ['true false', 'expected an operator or the end, got "false" at 6'],
    ['inputs.env; rm -rf /', 'unexpected character ";" at 11'],
    ['`id`', 'unexpected character "`" at 1'],
  ])('%j: %s', (src, message) => {
    expect(() => parseExpression(src)).toThrow(message);
  });

  it('an unclosed ${{ in a string is rejected', () => {
    expect(() => templateExpressions('${{ inputs.env ')).toThrow('"${{" without a closing "}}"');
  });
});
