/** One rule for env names (config keys and folders), folders that are not envs, build options and registries. */
import { describe, expect, it } from 'vitest';
import { buildFlags } from '../../src/adapters/kustomize.js';
import { resolveConfig } from '../../src/core/config.js';
import { nonEnvironmentFolders } from '../../src/core/kustomize-deps.js';
import { renderFailureHint } from '../../src/core/render-hints.js';
import { parseConfig } from '../../src/steps/config.js';

describe('environment names: one rule for config keys and folders', () => {
  it.each(['prod_eu', 'prod-eu', 'dev', 'e2'])('%s is a name both ways', (name) => {
    expect(resolveConfig(parseConfig(`environments:\n  ${name}: {}\n`), []).order).toEqual([name]);
    expect(resolveConfig(undefined, [name]).order).toEqual([name]);
  });

  it.each(['Prod', 'prod eu', '_prod', 'prod.eu'])(
    '%j is refused as a key and skipped (and said) as a folder',
    (name) => {
      expect(() => parseConfig(`environments:\n  "${name}": {}\n`)).toThrowError(/problem/);
      const c = resolveConfig(undefined, [name, 'dev']);
      expect(c.order).toEqual(['dev']);
      expect(c.ignoredFolders).toEqual([{ folder: name, reason: expect.stringContaining('not an environment name') }]);
    },
  );
});

describe('folders of the overlays directory that are not environments', () => {
  it('a folder others build on is a base; one without a kustomization is nothing', () => {
    expect(
      nonEnvironmentFolders([
        { name: 'base', text: 'resources: [deployment.yaml]\n' },
        { name: 'dev', text: 'resources:\n- ../base\n' },
        { name: 'prod', text: 'resources: [../base]\n' },
        { name: 'docs', text: undefined },
        { name: 'broken', text: 'resources: [\n' },
      ]),
    ).toEqual([
      { folder: 'base', reason: 'a base: dev builds on it' },
      { folder: 'docs', reason: 'no kustomization file' },
    ]);
  });
});

describe('build options and registries per environment', () => {
  it('an env overrides the top-level build options; flags follow', () => {
    const c = resolveConfig(
      parseConfig(
        'build: {enableHelm: true}\nenvironments:\n  dev: {}\n  prod:\n    build: {loadRestrictor: LoadRestrictionsNone}\n    registry: registry.prod.example.com/team\n',
      ),
      [],
    );
    expect(c.environments.get('dev')?.build).toEqual({ enableHelm: true });
    expect(c.environments.get('prod')).toMatchObject({
      build: { enableHelm: true, loadRestrictor: 'LoadRestrictionsNone' },
      registry: 'registry.prod.example.com/team',
    });
    expect(buildFlags({ enableHelm: true, loadRestrictor: 'LoadRestrictionsNone' })).toEqual([
      '--enable-helm',
      '--load-restrictor',
      'LoadRestrictionsNone',
    ]);
  });

  it.each([
    ['build: {enableHelm: yes-please}', 'build.enableHelm'],
    ['build: {loadRestrictor: Anything}', 'build.loadRestrictor'],
    ['build: {enableExec: true}', 'build'],
    ['environments: {dev: {registry: "https://r.io"}}', 'environments.dev.registry'],
  ])('%s is refused naming %s', (text, field) => {
    try {
      parseConfig(`${text}\n`);
      expect.unreachable();
    } catch (e) {
      expect((e as { details: string[] }).details.join('\n')).toContain(field);
    }
  });
});

describe('a failed render names the build option it needs', () => {
  it.each([
    [
      'Error: trouble configuring builtin HelmChartInflationGenerator: must specify --enable-helm',
      'build: {enableHelm: true} under environments.prod',
    ],
    [
      `Error: unable to run: 'helm version --short' (is 'helm' installed?): exec: "helm": executable file not found in $PATH`,
      'bash ci/tools/build.sh helm',
    ],
    [
      "security; file '/r/shared/cm.yaml' is not in or below '/r/o'",
      'build: {loadRestrictor: LoadRestrictionsNone} under environments.prod',
    ],
    ['Error: accumulating resources: missing.yaml: no such file', 'gitops-flow render --env prod'],
  ])('%s', (stderr, hint) => {
    expect(renderFailureHint(stderr, 'prod')).toContain(hint);
  });
});
