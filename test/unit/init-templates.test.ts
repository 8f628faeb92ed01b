/** init's generated files, checked against the config schema (and, in test/integration/ci-components.test.ts, against the CI/CD components). */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { gitlabCi, scaffoldFiles, schemaHasRequireVerified } from '../../src/commands/init/templates.js';
import { resolveConfig } from '../../src/core/config.js';
import { parseConfig } from '../../src/steps/config.js';

describe('init templates', () => {
  it('.gitlab-ci.yml deploys the first env in MR pipelines and promotes each later env from the one before', () => {
    const ci = parse(gitlabCi(['qa', 'staging', 'live']));
    expect(Object.keys(ci)).toEqual([
      'stages',
      '.gitops-flow',
      'deploy-qa',
      'promote-staging',
      'promote-live',
      'rollback-qa',
      'rollback-staging',
      'rollback-live',
      'restore-qa',
      'restore-staging',
      'restore-live',
    ]);
    expect(ci['deploy-qa'].script).toEqual(['gitops-flow deploy --env qa --ref "$CI_COMMIT_SHA"']);
    expect(ci['promote-staging'].script.at(-1)).toBe('gitops-flow promote --from qa --to staging');
    expect(ci['promote-live'].script.at(-1)).toBe('gitops-flow promote --from staging --to live');
    expect(Object.keys(parse(gitlabCi(['only'])))).toEqual([
      'stages',
      '.gitops-flow',
      'deploy-only',
      'rollback-only',
      'restore-only',
    ]);
  });

  it('every job names its environment (tier, URL) and holds its resource group; recovery jobs are manual on the default branch, never blocking', () => {
    const ci = parse(gitlabCi(['qa', 'staging', 'live'])) as Record<
      string,
      { environment?: unknown; resource_group?: string; rules?: unknown[]; script?: string[] }
    >;
    for (const [name, job] of Object.entries(ci).filter(([k]) => !k.startsWith('.') && k !== 'stages')) {
      const env = name.slice(name.indexOf('-') + 1);
      // The tier GitLab would guess from the name, the URL from deploy.env (the dotenv report).
      const tier = { qa: 'testing', staging: 'staging', live: 'production' }[env];
      expect(job.environment, name).toEqual({
        name: env,
        action: 'start',
        url: '$GITOPS_FLOW_ENVIRONMENT_URL',
        deployment_tier: tier,
      });
      expect(job.resource_group, name).toBe(env);
    }
    // Manual jobs never block (recovery is always playable).
    expect(ci['rollback-live']?.rules).toEqual([
      { if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH', when: 'manual', allow_failure: true },
    ]);
    expect(ci['restore-live']?.script?.at(-1)).toBe('gitops-flow restore --env live --at "$GITOPS_FLOW_AT"');
  });

  it('gitops-flow.yaml is valid, ordered, chains promoteFrom and requires verification after the first env', () => {
    const files = scaffoldFiles({
      app: 'shop',
      image: { name: 'reg/shop', tag: '1' },
      envs: ['qa', 'staging', 'live'],
    });
    const text = files['gitops-flow.yaml'] as string;
    const config = resolveConfig(parseConfig(text), []);
    expect(config.order).toEqual(['qa', 'staging', 'live']);
    expect([...config.environments.values()].map((e) => [e.name, e.context, e.promoteFrom])).toEqual([
      ['qa', 'qa', []],
      ['staging', 'staging', ['qa']],
      ['live', 'live', ['staging']],
    ]);
    const raw = parse(text) as { environments: Record<string, { requireVerified?: boolean }> };
    const want = schemaHasRequireVerified() ? true : undefined;
    expect([
      raw.environments.qa?.requireVerified,
      raw.environments.staging?.requireVerified,
      raw.environments.live?.requireVerified,
    ]).toEqual([undefined, want, want]);
    expect(text.match(/requireVerified: true/g)).toHaveLength(2);
    expect(text).toMatch(/^# /);
  });

  it('gitops-flow.yaml carries a commented example of pipelines and hooks that is valid once uncommented', () => {
    const text = scaffoldFiles({ app: 'shop', image: { name: 'reg/shop', tag: '1' }, envs: ['qa', 'live'] })[
      'gitops-flow.yaml'
    ] as string;
    const start = text.indexOf('# pipelines:');
    expect(start).toBeGreaterThan(0);
    const example = text
      .slice(text.indexOf('# environments:'))
      .split('\n')
      .filter((l) => /^# (environments|pipelines| {2})/.test(l))
      .map((l) => l.slice(2))
      .join('\n');
    const config = parseConfig(`environments:\n  qa: {}\n${example.replace('environments:\n', '')}\n`);
    expect(Object.keys(config.pipelines ?? {})).toEqual(['smoke-release']);
    expect(config.environments?.live?.hooks?.promote?.after?.verify?.[0]?.name).toBe('smoke test');
    // Commented out: the file as written declares no pipeline.
    expect(parseConfig(text).pipelines).toBeUndefined();
  });

  it('overlays set the image by tag or digest, in their own namespace', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const files = scaffoldFiles({ app: 'shop', image: { name: 'reg/shop', digest }, envs: ['dev'] });
    const overlay = parse(files['kustomizations/overlays/dev/kustomization.yaml'] as string);
    expect(overlay.namespace).toBe('shop-dev');
    expect(overlay.images).toEqual([{ name: 'application-image', newName: 'reg/shop', digest }]);
    expect(files['.gitignore']).toContain('\n.gitops-flow/\n');
  });
});
