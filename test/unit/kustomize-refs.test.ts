/** What a render reads: every path a kustomization names, split into local and remote (issue 16, item 9). */
import { describe, expect, it } from 'vitest';
import { isRemoteReference, kustomizationPaths } from '../../src/core/kustomize-refs.js';

describe('kustomization paths', () => {
  it.each([
    ['https://raw.example.com/app.yaml', true],
    ['http://127.0.0.1:8080/x.yaml', true],
    ['git@github.com:acme/base.git', true],
    ['git::https://example.com/base', true],
    ['github.com/acme/base//overlay?ref=v1', true],
    ['example.com:8443/acme/base', true],
    // kustomize reads any user@host:path as an ssh clone, and github.com:org/repo too (issue 16 review).
    ['attacker@127.0.0.1:org/repo.git', true],
    ['deploy@build-host:repo//base', true],
    ['GitHub.com:acme/base', true],
    ['../../base', false],
    ['missing.yaml', false],
    ['configs/app.d/file.yaml', false],
  ])('%s remote: %s', (p, remote) => {
    expect(isRemoteReference(p)).toBe(remote);
  });

  it('lists resources, patches, generator files and helm paths; helm repositories are remote', () => {
    const paths = kustomizationPaths({
      resources: ['../../base', 'https://example.com/x.yaml'],
      components: ['../comp'],
      patches: [{ path: 'patch.yaml' }, { patch: 'inline: true\n' }],
      configMapGenerator: [{ files: ['key=conf/app.properties'], envs: ['app.env'] }],
      helmGlobals: { chartHome: '../../charts' },
      helmCharts: [{ repo: 'https://charts.example.com', valuesFile: 'values.yaml' }],
    });
    expect(paths.local.sort()).toEqual(
      ['../../base', '../../charts', '../comp', 'app.env', 'conf/app.properties', 'patch.yaml', 'values.yaml'].sort(),
    );
    expect(paths.remote).toEqual(['https://example.com/x.yaml', 'https://charts.example.com']);
  });
});
