/**
 * The images of a render, computed from one shared pre-render and the overlay's images: (the model of
 * kustomize's image transformer), held to the pinned kustomize build of every env of every shape; the
 * same from a commit's tree; and where each image is set.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envImages } from '../../src/adapters/env-images.js';
import { commitTree, worktree } from '../../src/adapters/trees.js';
import { containerImages } from '../../src/core/image-transform.js';
import { parseManifest } from '../../src/core/workloads.js';
import { loadConfig } from '../../src/steps/config.js';
import { cleanEnv } from '../helpers/cli.js';
import { SHAPES, type ShapeName } from '../helpers/env-shapes.js';
import { makeRepo } from '../helpers/git-fixtures.js';

const quiet = { info() {}, debug() {}, warn() {}, result() {} } as never;

const envsOf = async (root: string) => [...(await loadConfig(root)).environments.values()];

describe('images from the render equal kustomize build, on every shape', () => {
  it.each(Object.keys(SHAPES))('%s', async (shape) => {
    const root = makeRepo(SHAPES[shape as ShapeName].files);
    const env = cleanEnv();
    for (const e of await envsOf(root)) {
      const tree = worktree(root);
      const got = await envImages({ tree, overlay: e.overlay, envName: e.name }, { env, log: quiet });
      const real = containerImages(
        parseManifest(execFileSync('kustomize', ['build', join(root, e.overlay)], { env, encoding: 'utf8' })),
      );
      const byContainer = new Map(got.images.flatMap((i) => i.workloads.map((w) => [w, i.reference])));
      for (const c of real)
        expect(byContainer.get(`${c.kind}/${c.name} ${c.container}`), `${e.name} ${c.name}`).toBe(c.image);
      expect(byContainer.size).toBe(real.length);
      if (shape === 'replacements') expect(got.method).toBe('render');
      else expect(got.method).toBe('model');

      const commit = await commitTree('HEAD', { cwd: root, env, log: quiet });
      try {
        const then = await envImages({ tree: commit, overlay: e.overlay, envName: e.name }, { env, log: quiet });
        expect(then.images).toEqual(got.images);
      } finally {
        commit.close();
      }
    }
  });

  it('says where each image is set', async () => {
    const env = cleanEnv();
    const sourceOf = async (shape: string, envName: string, name: string) => {
      const root = makeRepo(SHAPES[shape as ShapeName].files);
      const e = (await envsOf(root)).find((x) => x.name === envName);
      const got = await envImages(
        { tree: worktree(root), overlay: e?.overlay as string, envName, sources: true },
        { env, log: quiet },
      );
      return got.images.find((i) => i.name === name);
    };
    expect((await sourceOf('compact', 'dev', 'web'))?.source).toEqual({
      kind: 'images',
      file: 'kustomizations/overlays/dev/kustomization.yaml',
      line: 5,
    });
    expect((await sourceOf('components', 'dev', 'registry.example.com/mirror/envoy'))?.source).toMatchObject({
      kind: 'component',
      file: 'kustomize/components/proxy/kustomization.yaml',
    });
    expect((await sourceOf('patches', 'dev', 'registry.example.com/team/worker'))?.source).toEqual({
      kind: 'patch',
      file: 'kustomizations/overlays/dev/worker-image.yaml',
      line: 10,
    });
    expect((await sourceOf('patches', 'dev', 'registry.example.com/team/web'))?.source).toMatchObject({
      kind: 'patch',
      file: 'kustomizations/overlays/dev/kustomization.yaml',
    });
    expect((await sourceOf('replacements', 'dev', 'registry.example.com/team/web'))?.source).toMatchObject({
      kind: 'replacement',
    });
    expect((await sourceOf('baseImages', 'dev', 'registry.example.com/team/web'))?.source).toMatchObject({
      kind: 'base-images',
      file: 'kustomizations/base/kustomization.yaml',
    });
    expect((await sourceOf('sharedBase', 'dev', 'neo4j-backup'))?.source).toEqual({
      kind: 'resource',
      file: 'base/neo4j/backup.yaml',
      line: 14,
    });
  });
});
