import { describe, expect, it } from 'vitest';
import { GitopsError } from '../../src/core/errors.js';
import { planPromotion, promotedEntries } from '../../src/core/promotion.js';

const REG = 'registry.example.com/team/web';

describe('planPromotion: what a promote sets, from the two renders', () => {
  it('copies tag and digest, keeping a target newName that differs from where the source pulls', () => {
    const plan = planPromotion({
      from: { name: 'dev', images: { web: `${REG}:1.2.0@sha256:${'a'.repeat(64)}` } },
      to: {
        name: 'uat',
        images: { web: 'mirror.example.com/team/web:1.1.0' },
        entries: [{ name: 'web', newName: 'mirror.example.com/team/web', newTag: '1.1.0' }],
      },
    });
    expect(plan.args).toEqual([
      { name: 'web', newName: 'mirror.example.com/team/web', newTag: '1.2.0', digest: `sha256:${'a'.repeat(64)}` },
    ]);
    expect(plan.kept).toEqual([`web: kept uat's newName mirror.example.com/team/web (dev pulls from ${REG})`]);
  });

  it('a source that runs the base placeholder bare has nothing to promote (the target keeps its tag)', () => {
    const run = () =>
      planPromotion({
        from: { name: 'dev', images: { 'application-image': 'application-image' } },
        to: {
          name: 'uat',
          images: { 'application-image': `${REG}:1.0.0` },
          entries: [{ name: 'application-image', newName: REG, newTag: '1.0.0' }],
        },
      });
    expect(run).toThrow(GitopsError);
    expect(run).toThrow(
      /dev has no image to promote to uat: application-image \(dev runs application-image with no tag/,
    );
  });

  it('a source that does not rename the image leaves the target pulling from where it does', () => {
    const plan = planPromotion({
      from: { name: 'dev', images: { nginx: 'nginx:1.27' } },
      to: {
        name: 'uat',
        images: { nginx: 'mirror.example.com/nginx:1.25' },
        entries: [{ name: 'nginx', newName: 'mirror.example.com/nginx', newTag: '1.25' }],
      },
    });
    expect(plan.args).toEqual([{ name: 'nginx', newName: 'mirror.example.com/nginx', newTag: '1.27' }]);
    expect(plan.kept[0]).toContain("kept uat's mirror.example.com/nginx (dev does not rename nginx)");
    const same = planPromotion({
      from: { name: 'dev', images: { nginx: 'nginx:1.27' } },
      to: { name: 'uat', images: { nginx: 'nginx:1.25' }, entries: [] },
    });
    expect(same.args).toEqual([{ name: 'nginx', newTag: '1.27' }]);
    expect(same.kept).toEqual([]);
  });

  it('per-env registries from config swap the prefix; an image already there is listed, not set', () => {
    const plan = planPromotion({
      from: { name: 'uat', registry: 'registry.uat', images: { a: 'registry.uat/a:2', b: 'registry.uat/b:3' } },
      to: {
        name: 'prod',
        registry: 'registry.prod',
        images: { a: 'registry.prod/a:1', b: 'registry.prod/b:3' },
        entries: [],
      },
    });
    expect(plan.args).toEqual([{ name: 'a', newName: 'registry.prod/a', newTag: '2' }]);
    expect(plan.images).toEqual({ a: 'registry.prod/a:2', b: 'registry.prod/b:3' });
    // requireDigest counts every promoted image, the unchanged one too.
    expect(promotedEntries(plan.images).filter((e) => e.newTag && !e.digest)).toHaveLength(2);
  });
});
