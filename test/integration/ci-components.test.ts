/**
 * The GitLab CI/CD components (templates/*.yml) as gitlab-ci-local interpolates them: inputs documented
 * and checked, init's inline jobs equal to the components' jobs, and the Dagger variants equal to the
 * CLI variants in everything but how they run. (The jobs run for real in test/e2e/gitlab-ci.e2e.test.ts.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { gitlabCi } from '../../src/commands/init/templates.js';
import { appRepoPipeline, componentFiles, envRepoPipeline, jobsOf, preview } from '../helpers/ci-components.js';
import { REPO_ROOT } from '../helpers/git-fixtures.js';

const ENVS = ['dev', 'uat', 'prod'];
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
    expect(job(true).script.join('\n')).toContain('--pin-digest=true');
  });

  it("a required input left out fails the pipeline with GitLab's message", () => {
    const files = {
      ...componentFiles(),
      '.gitlab-ci.yml': 'include:\n  - local: gitops-flow-ci/promote.yml\n    inputs: { to: uat }\n',
    };
    expect(() => preview(files)).toThrow(/`from` input: required value has not been provided/);
  });
});
