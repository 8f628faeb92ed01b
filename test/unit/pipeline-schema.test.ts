/** The pipelines and hooks of gitops-flow.yaml: accepted shapes, and each rejection with its message. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GitopsError } from '../../src/core/errors.js';
import { DEFAULT_PIPELINES } from '../../src/core/verb-pipelines.js';
import { parseConfig } from '../../src/steps/config.js';
import { parseOutputs, stepEnvironment } from '../../src/steps/engine/run-step.js';
import { REPO_ROOT } from '../helpers/git-fixtures.js';

const problems = (yaml: string): string[] => {
  try {
    parseConfig(yaml);
    return [];
  } catch (e) {
    return (e as GitopsError).details;
  }
};

describe('pipeline schema: accepted', () => {
  it('a pipeline with uses:, run: (list and script), if:, env:, secrets:, timeout:, retries:, continue-on-error:', () => {
    expect(
      problems(`
pipelines:
  release:
    inputs: { target: { required: true }, dry: { default: false } }
    environment: '\${{ inputs.target }}'
    steps:
      - id: deploy
        uses: deploy
        with: { env: '\${{ inputs.target }}', timeout: 2m }
      - id: smoke
        run: [curl, -fsS, '\${{ environment.url }}/healthz', 3]
        env: { WORKLOADS: '\${{ steps.deploy.outputs.workloads }}' }
        secrets: [SMOKE_TOKEN]
        timeout: 30s
        retries: 2
        continue-on-error: false
        if: \${{ !inputs.dry && steps.deploy.outcome == 'success' }}
      - run: scripts/notify.sh
        if: always()
      - uses: restore-last-good
        if: failure()
      - uses: pipeline/other
        with: { x: '\${{ steps.smoke.outputs.status }}' }
  other:
    inputs: { x: {} }
    steps: [{ run: [echo, '\${{ inputs.x }}'] }]
hooks:
  deploy: { before: { render: [{ run: [scripts/migrate.sh] }] } }
environments:
  prod:
    hooks:
      promote: { after: { verify: [{ run: [scripts/smoke.sh, '\${{ inputs.from }}'] }] } }
`),
    ).toEqual([]);
  });

  it("the built-in verbs' default pipelines pass their own validation", () => {
    const yaml = JSON.stringify({
      pipelines: Object.fromEntries(
        Object.entries(DEFAULT_PIPELINES).map(([k, v]) => [
          `default-${k}`,
          { ...v, steps: v.steps.map((s) => ({ run: [String(s.uses)], ...(s.if && { if: s.if }) })) },
        ]),
      ),
    });
    expect(problems(yaml)).toEqual([]);
  });
});

describe('docs/pipelines.md', () => {
  it('the complete example is a valid gitops-flow.yaml', () => {
    const section = readFileSync(join(REPO_ROOT, 'docs', 'pipelines.md'), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(yaml).toContain('pipelines:');
    const config = parseConfig(yaml);
    expect(Object.keys(config.pipelines ?? {})).toEqual(['release']);
    expect(config.environments?.prod?.hooks?.promote?.after?.verify).toHaveLength(1);
  });
});

describe('pipeline schema: rejected, naming the field', () => {
  it.each([
    ['pipelines: { p: { steps: [] } }', 'pipelines.p.steps: Too small'],
    ['pipelines: { p: { steps: [{ name: x }] } }', 'pipelines.p.steps.0: a step has exactly one of uses: or run:'],
    [
      'pipelines: { p: { steps: [{ run: [a], uses: render, with: { env: dev } }] } }',
      'pipelines.p.steps.0: a step has exactly one of uses: or run:',
    ],
    [
      'pipelines: { p: { steps: [{ run: [a], with: { a: 1 } }] } }',
      'pipelines.p.steps.0.with: only uses: steps take with: (a run: step takes env:)',
    ],
    [
      'pipelines: { p: { steps: [{ uses: render, with: { env: dev }, secrets: [X] }] } }',
      'pipelines.p.steps.0.secrets: only run: steps take secrets:',
    ],
    ['pipelines: { p: { steps: [{ uses: render }] } }', 'pipelines.p.steps.0.with.env: render requires input "env"'],
    ['pipelines: { p: { steps: [{ uses: pipeline/q }] } }', 'pipelines.p.steps.0.uses: no pipeline "q" (have: p)'],
    [
      'pipelines: { p: { steps: [{ run: [a], timeout: soon }] } }',
      'pipelines.p.steps.0.timeout: a duration like 90s, 5m or 1h30m',
    ],
    ['pipelines: { p: { steps: [{ run: [a], retries: 99 }] } }', 'pipelines.p.steps.0.retries: Too big'],
    [
      'pipelines: { p: { steps: [{ run: [a], secrets: [bad-name] }] } }',
      'pipelines.p.steps.0.secrets.0: an environment variable name',
    ],
    ['pipelines: { p: { steps: [{ run: [a], id: 1abc }] } }', 'pipelines.p.steps.0.id: an id is letters, digits'],
    [
      'pipelines: { p: { steps: [{ run: [a], if: "success(" }] } }',
      'pipelines.p.steps.0.if: expected a value, got the end of the expression in "success("',
    ],
    [
      'pipelines: { p: { steps: [{ run: [a, "${{ secrets.X }}"] }] } }',
      'pipelines.p.steps.0.run.1: unknown context "secrets"',
    ],
    [
      'pipelines: { p: { steps: [{ id: a, run: [x, "${{ steps.a.outputs.y }}"] }] } }',
      'pipelines.p.steps.0.run.1: steps.a is not the id of an earlier step (have: none)',
    ],
    [
      'pipelines: { p: { steps: [{ id: a, run: [x] }, { run: [x, "${{ steps.a.result }}"] }] } }',
      'pipelines.p.steps.1.run.1: steps.a.result: a step has outputs and outcome',
    ],
    ['pipelines: { p: { steps: [{ uses: pipeline/p }] } }', 'pipelines.p: pipelines use each other in a cycle: p → p'],
    ['pipelines: { "bad name": { steps: [{ run: [a] }] } }', 'pipelines.bad name: a pipeline name is letters, digits'],
    ['hooks: { suggest: { after: { git/commit: [{ run: [a] }] } } }', 'hooks: Unrecognized key: "suggest"'],
    [
      'hooks: { deploy: { after: { git/push: [{ run: [a] }] } } }',
      'hooks.deploy.after.git/push: deploy has no step "git/push" (have: render, deploy, record/verified, restore-last-good, verify)',
    ],
    [
      'environments: { dev: { hooks: { unpin: { before: { pin/remove: [{ uses: nope }] } } } } }',
      'environments.dev.hooks.unpin.before.pin/remove.0.uses: unknown step "nope"',
    ],
    [
      'pipelines: { p: { steps: [{ uses: deploy, with: { env: dev }, timeout: 5m }] } }',
      'pipelines.p.steps.0.timeout: only run: steps take timeout:',
    ],
    [
      'hooks: { promote: { before: { images/copy: [{ uses: render, with: { env: uat } }] } } }',
      'hooks.promote.before.images/copy.0.uses: a hook runs commands (run:)',
    ],
    [
      'hooks: { promote: { after: { verify: [{ run: [page-oncall], if: failure() }] } } }',
      'hooks.promote.after.verify.0.if: an after: hook runs only when verify succeeded, so failure() never holds here',
    ],
    [
      'pipelines: { p: { steps: [{ uses: pipeline/q }] }, q: { inputs: { target: { required: true } }, steps: [{ run: [a] }] } }',
      'pipelines.p.steps.0.with.target: pipeline/q requires input "target"',
    ],
  ])('%s', (yaml, message) => {
    expect(problems(yaml).join('\n')).toContain(message);
  });

  it('schema problems and pipeline problems come together, all at once', () => {
    const found = problems('order: [Dev]\npipelines: { p: { steps: [{ uses: nope }] } }\n');
    expect(found).toEqual([
      expect.stringContaining('order.0'),
      expect.stringContaining('pipelines.p.steps.0.uses: unknown step "nope"'),
    ]);
  });
});

describe('run: steps', () => {
  it.each([
    ['a=1\nb=two words\n', { a: '1', b: 'two words' }],
    ['empty=\nx=a=b\n', { empty: '', x: 'a=b' }],
    ['notes<<EOF\nline 1\n\nline 3\nEOF\nafter=1\n', { notes: 'line 1\n\nline 3', after: '1' }],
    ['crlf=1\r\n', { crlf: '1' }],
  ])('outputs %j', (text, want) => {
    expect(parseOutputs(text, 's')).toEqual(want);
  });

  it.each([
    ['not an output\n', 'wrote an output line that is neither key=value nor key<<DELIMITER'],
    ['notes<<EOF\nno end\n', 'wrote output "notes" without its closing delimiter "EOF"'],
  ])('refuses outputs %j', (text, message) => {
    expect(() => parseOutputs(text, 's')).toThrow(message);
  });

  it('their environment has no credential but the declared ones', () => {
    const env = stepEnvironment(
      {
        PATH: '/bin',
        GITLAB_TOKEN: 'a',
        CI_JOB_TOKEN: 'b',
        GITOPS_FLOW_GIT_TOKEN: 'c',
        AWS_SECRET_ACCESS_KEY: 'd',
        DB_PASSWORD: 'e',
        SMOKE_TOKEN: 'f',
        CI_COMMIT_SHA: 'g',
      },
      ['SMOKE_TOKEN'],
      { X: '1' },
    );
    expect(env).toEqual({ PATH: '/bin', SMOKE_TOKEN: 'f', CI_COMMIT_SHA: 'g', X: '1' });
  });

  it('nor a credential under another name: the clone URL with the job token, docker auth, JWTs, git config, URLs with userinfo', () => {
    const env = stepEnvironment(
      {
        PATH: '/bin',
        CI_REPOSITORY_URL: 'https://gitlab-ci-token:glcbt-x@gitlab.example.com/g/e.git',
        DOCKER_AUTH_CONFIG: '{"auths":{}}',
        CI_JOB_JWT_V2: 'eyJ',
        GIT_CONFIG_VALUE_0: 'Authorization: Basic eA==',
        MIRROR: 'https://deploy:pw@example.com/x',
        CI_PROJECT_URL: 'https://gitlab.example.com/g/e',
      },
      [],
      {},
    );
    expect(env).toEqual({ PATH: '/bin', CI_PROJECT_URL: 'https://gitlab.example.com/g/e' });
  });
});
