import { describe, expect, it } from 'vitest';
import {
  applyEntry,
  applyImages,
  containerImages,
  EntryIndex,
  isImageMatched,
  splitImage,
} from '../../src/core/image-transform.js';

const D = `sha256:${'a'.repeat(64)}`;

describe("kustomize's image transformer, modelled", () => {
  it.each([
    ['nginx', { name: 'nginx' }],
    ['nginx:1.25', { name: 'nginx', tag: '1.25' }],
    [`nginx@${D}`, { name: 'nginx', digest: D }],
    [`nginx:1.25@${D}`, { name: 'nginx', tag: '1.25', digest: D }],
    ['reg.io:5000/team/app:2', { name: 'reg.io:5000/team/app', tag: '2' }],
    ['reg.io:5000/team/app', { name: 'reg.io:5000/team/app' }],
  ])('splits %s', (image, parts) => {
    expect(splitImage(image)).toEqual(parts);
  });

  it.each([
    ['nginx:1.25', 'nginx', true],
    [`nginx@${D}`, 'nginx', true],
    ['nginx-extra:1', 'nginx', false],
    ['docker.io/nginx:1', 'nginx', false],
    // kustomize does not escape the name: a dot matches any character.
    ['regXio/app:1', 'reg.io/app', true],
  ])('%s matched by %s: %s', (image, name, matched) => {
    expect(isImageMatched(image, name)).toBe(matched);
  });

  it.each([
    ['app:1', { name: 'app', newTag: '2' }, 'app:2'],
    [`app:1@${D}`, { name: 'app', newTag: '2' }, 'app:2'],
    ['app:1', { name: 'app', digest: D }, `app@${D}`],
    ['app:1', { name: 'app', newName: 'reg/app' }, 'reg/app:1'],
    ['app:1', { name: 'app', newName: 'reg/app', newTag: '2', digest: D }, `reg/app:2@${D}`],
    ['other:1', { name: 'app', newTag: '2' }, 'other:1'],
  ])('%s with %j is %s', (image, entry, out) => {
    expect(applyEntry(image, entry)).toBe(out);
  });

  it('applies entries in order (one transformer per entry)', () => {
    expect(
      applyImages('a:1', [
        { name: 'a', newName: 'b' },
        { name: 'b', newTag: '9' },
      ]),
    ).toBe('b:9');
  });

  it('finds containers and initContainers anywhere but in CRDs', () => {
    const objects = [
      {
        kind: 'CronJob',
        metadata: { name: 'backup', namespace: 'ops' },
        spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'b', image: 'b:1' }] } } } } },
      },
      { kind: 'Pod', metadata: { name: 'p' }, spec: { initContainers: [{ name: 'i', image: 'i:1' }] } },
      { kind: 'CustomResourceDefinition', metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: 'c' }] } },
    ];
    expect(containerImages(objects)).toEqual([
      { kind: 'CronJob', name: 'backup', namespace: 'ops', container: 'b', image: 'b:1' },
      { kind: 'Pod', name: 'p', container: 'i', image: 'i:1' },
    ]);
  });
});

describe('EntryIndex applies like applyImages, faster', () => {
  const entries = [
    { name: 'a', newName: 'b' },
    { name: 'b', newTag: '9' },
    { name: 'reg.io/x', newTag: '2' },
    { name: 'c', digest: D },
    { name: 'a', newTag: 'never' },
  ];
  it.each(['a:1', 'b:1', 'regXio/x:1', 'reg.io/x', `c:1@${D}`, 'd:1', 'a'])('%s', (image) => {
    const got = new EntryIndex(entries).apply(image);
    expect(got.image).toBe(applyImages(image, entries));
    expect(got.matched).toBe(entries.find((e) => isImageMatched(image, e.name))?.name);
  });
});
