/**
 * The GitLab CI/CD components (templates/*.yml) as gitlab-ci-local interpolates them: inputs documented
 * and checked, init's inline jobs equal to the components' jobs, and the Dagger variants equal to the
 * CLI variants in everything but how they run. (The jobs run for real in test/e2e/gitlab-ci.e2e.test.ts.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { gitlabCi } from '../../src/commands/init/templates.js';
import { appRepoPipeline, componentFiles, envRepoPipeline, jobsOf, preview } from '../helpers/ci-components.js';
import { REPO_ROOT } from '../helpers/git-fixtures.js';

const ENVS = ['dev', 'uat', 'prod'];
type Job = {
  artifacts?: Record<string, unknown>;
  environment?: Record<string, unknown>;
  rules?: { when?: string; allow_failure?: boolean }[];
  needs?: unknown[];
  variables?: Record<string, unknown>;
  script?: string[];
};
type Spec = { spec: { inputs: Record<string, { description?: string; default?: string; regex?: string }> } };

describe('GitLab CI/CD components', () => {
  it('each component is a spec header and jobs; every input is described, every environment input is checked by a regex', () => {
    const files = readdirSync(join(REPO_ROOT, 'templates'));
    expect(files.sort()).toEqual([
      'dagger-deploy.yml',
      'dagger-promote.yml',
      'dagger-recover.yml',
      'dagger-suggest.yml',
      'deploy.yml',
      'promote.yml',
      'recover.yml',
      'render.yml',
      'suggest.yml',
    ]);
    for (const f of files) {
      const docs = parseAllDocuments(readFileSync(join(REPO_ROOT, 'templates', f), 'utf8'));
      expect(docs, f).toHaveLength(2);
      const inputs = (docs[0]?.toJSON() as Spec | undefined)?.spec?.inputs ?? {};
      expect(Object.keys(inputs).length, f).toBeGreaterThan(0);
      for (const [name, input] of Object.entries(inputs)) {
        expect(input.description, `${f}: ${name}`).toBeTruthy();
        if (['env', 'from', 'to'].includes(name)) {
          const re = new RegExp(input.regex as string);
          expect(
            ['dev', 'prod-eu-1'].every((e) => re.test(e)),
            `${f}: ${name}`,
          ).toBe(true);
          expect(
            ['dev; rm -rf /', '../x', 'Dev', '-x', ''].some((e) => re.test(e)),
            `${f}: ${name}`,
          ).toBe(false);
        }
      }
      // Inputs reach the jobs only as $[[ inputs.<declared> ]].
      for (const m of readFileSync(join(REPO_ROOT, 'templates', f), 'utf8').matchAll(/\$\[\[\s*inputs\.([\w-]+)/g))
        expect(Object.keys(inputs), f).toContain(m[1]);
    }
  });

  it("init writes exactly the components' jobs for dev, uat, prod (both expanded by gitlab-ci-local)", () => {
    const components = preview(envRepoPipeline(ENVS));
    const init = preview({ '.gitlab-ci.yml': gitlabCi(ENVS) });
    expect(Object.keys(jobsOf(components)).sort()).toEqual([
      'deploy-dev',
      'promote-prod',
      'promote-uat',
      'restore-dev',
      'restore-prod',
      'restore-uat',
      'rollback-dev',
      'rollback-prod',
      'rollback-uat',
    ]);
    expect(jobsOf(init)).toEqual(jobsOf(components));
    expect(init.stages).toEqual(components.stages);
  });

  it('the Dagger variants have the same jobs, stages, environments, resource groups and rules as the CLI variants', () => {
    const pick = (p: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(jobsOf(p)).map(([k, j]) => [
          k,
          {
            stage: j.stage,
            environment: j.environment,
            resource_group: j.resource_group,
            rules: j.rules,
            artifacts: j.artifacts,
          },
        ]),
      );
    expect(pick(preview(envRepoPipeline(ENVS, { dagger: true })))).toEqual(pick(preview(envRepoPipeline(ENVS))));
    const app = (dagger: boolean) =>
      pick(preview(appRepoPipeline('https://gitlab.example.com/team/env.git', 'app=reg/app:1', { dagger })));
    expect(app(true)).toEqual(app(false));
    expect(Object.keys(app(false))).toEqual(['suggest-dev']);
  });

  it('values that are data (images, URLs, paths) reach the script through variables, not spliced into it', () => {
    const app = jobsOf(
      preview(appRepoPipeline('https://gitlab.example.com/team/env.git', 'app=reg/app:1 "$(touch /tmp/x)"')),
    )['suggest-dev'] as { variables: Record<string, string>; script: string[] };
    expect(app.variables.GITOPS_FLOW_IMAGES).toBe('app=reg/app:1 "$(touch /tmp/x)"');
    expect(app.script.join('\n')).not.toContain('touch');
    expect(app.variables.GITOPS_FLOW_PIN_DIGEST).toBe('false');
  });

  it('suggest pins digests when asked: the CLI variant passes --pin-digest, the Dagger variant --pin-digest=true', () => {
    const job = (dagger: boolean) => {
      const files = appRepoPipeline(
        'https://gitlab.example.com/team/env.git',
        'app=reg/app:1',
        { dagger },
        { 'pin-digest': 'true' },
      );
      return jobsOf(preview(files))['suggest-dev'] as { variables: Record<string, string>; script: string[] };
    };
    expect(job(false).variables.GITOPS_FLOW_PIN_DIGEST).toBe('true');
    expect(job(false).script.join('\n')).toContain('args+=(--pin-digest)');
    expect(job(true).variables.GITOPS_FLOW_PIN_DIGEST).toBe('true');
    expect(job(true).script.join('\n')).toContain('--pin-digest="$GITOPS_FLOW_PIN_DIGEST"');
  });

  it('every component, CLI and Dagger variant, passes the CI schema; recovery is always playable, artifacts only for Developers', () => {
    const required: Record<string, Record<string, string>> = {
      deploy: { env: 'dev' },
      promote: { from: 'dev', to: 'uat' },
      recover: { env: 'prod' },
      suggest: { 'env-repo': 'https://gitlab.example.com/team/env.git', images: 'app=reg/app:1' },
      render: { env: 'dev' },
    };
    for (const file of readdirSync(join(REPO_ROOT, 'templates'))) {
      const name = file.replace(/^dagger-/, '').replace(/\.yml$/, '');
      const inputs = {
        ...required[name],
        ...(file.startsWith('dagger-') && { module: 'gitlab.example.com/p/gitops-flow@v1' }),
      };
      const stages = ['deploy', 'promote', 'recover', 'test'];
      const jobs = jobsOf(
        preview({
          ...componentFiles(),
          '.gitlab-ci.yml': stringify({ stages, include: [{ local: `gitops-flow-ci/${file}`, inputs }] }),
        }),
      ) as Record<string, Job>;
      expect(Object.keys(jobs).length, file).toBeGreaterThan(0);
      for (const [id, job] of Object.entries(jobs)) {
        if (job.artifacts)
          expect(job.artifacts, `${file} ${id}`).toMatchObject({ expire_in: '1 week', access: 'developer' });
        if (job.environment) {
          expect(job.environment, `${file} ${id}`).toMatchObject({
            url: '$GITOPS_FLOW_ENVIRONMENT_URL',
            deployment_tier: 'other',
          });
        }
        // A manual job never blocks: recovery can be played whatever waits before it.
        for (const rule of job.rules ?? [])
          if (rule.when === 'manual') expect(rule.allow_failure, `${file} ${id}`).toBe(true);
        if (/^(rollback|restore)-/.test(id)) {
          expect(job.needs, `${file} ${id}`).toEqual([]);
          expect(String(job.variables?.GIT_DEPTH), `${file} ${id}`).toBe('0');
        }
      }
    }
  });

  it("the project's own pipeline includes its components at this commit, on a Node ≥ 20 image by digest, and passes the schema", () => {
    const tools = JSON.parse(readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8')) as {
      go: string;
      images: { node: string };
    };
    const own = parse(readFileSync(join(REPO_ROOT, '.gitlab-ci.yml'), 'utf8'), { logLevel: 'error' }) as {
      include: { component?: string }[];
      variables: Record<string, string>;
    };
    for (const i of own.include)
      expect(i.component).toMatch(/^\$CI_SERVER_FQDN\/\$CI_PROJECT_PATH\/[a-z-]+@\$CI_COMMIT_SHA$/);
    expect(own.variables.GITOPS_FLOW_DEV_IMAGE).toBe(tools.images.node);
    expect(Number(/^node:(\d+)\./.exec(tools.images.node)?.[1])).toBeGreaterThanOrEqual(20);
    expect(own.variables.GO_VERSION?.startsWith(`${tools.go}.`)).toBe(true);
    expect(own.variables.GO_SHA256).toMatch(/^[0-9a-f]{64}$/);
    const files = Object.fromEntries(
      ['.gitlab-ci.yml', ...readdirSync(join(REPO_ROOT, 'templates')).map((f) => `templates/${f}`)].map((f) => [
        f,
        readFileSync(join(REPO_ROOT, f), 'utf8'),
      ]),
    );
    const jobs = jobsOf(preview(files, { origin: 'git@gitlab.example.com:platform/gitops-flow.git' })) as Record<
      string,
      Job
    >;
    expect(Object.keys(jobs)).toEqual(
      expect.arrayContaining(['check', 'render-dev', 'render-uat', 'render-prod', 'publish-toolbox']),
    );
    expect(jobs['render-dev']?.script?.join('\n')).toContain('render --env dev');
  });

  it("a required input left out fails the pipeline with GitLab's message", () => {
    const files = {
      ...componentFiles(),
      '.gitlab-ci.yml': 'include:\n  - local: gitops-flow-ci/promote.yml\n    inputs: { to: uat }\n',
    };
    expect(() => preview(files)).toThrow(/`from` input: required value has not been provided/);
  });
});
