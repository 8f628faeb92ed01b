import { describe, expect, it } from 'vitest';
import type { GitopsError } from '../../src/core/errors.js';
import {
  imageMap,
  parseImageArg,
  parseKustomization,
  planImages,
  readImages,
  setImages,
} from '../../src/core/kustomization.js';

const digest = `sha256:${'b'.repeat(64)}`;

describe('parseImageArg: every form kustomize edit set image takes', () => {
  it.each([
    ['app=registry.example.com/app:1.4.2', { name: 'app', newName: 'registry.example.com/app', newTag: '1.4.2' }],
    [`app=registry.example.com/app@${digest}`, { name: 'app', newName: 'registry.example.com/app', digest }],
    [`app=reg.io:5000/app:1.4.2@${digest}`, { name: 'app', newName: 'reg.io:5000/app', newTag: '1.4.2', digest }],
    ['app:1.4.2', { name: 'app', newTag: '1.4.2' }],
    [`app@${digest}`, { name: 'app', digest }],
    [`app:1.4.2@${digest}`, { name: 'app', newTag: '1.4.2', digest }],
    ['app=registry.example.com/app', { name: 'app', newName: 'registry.example.com/app' }],
    ['app=*:1.5', { name: 'app', newName: '*', newTag: '1.5' }],
    ['localhost:5000/app:2', { name: 'localhost:5000/app', newTag: '2' }],
  ])('%s', (arg, expected) => {
    expect(parseImageArg(arg)).toEqual(expected);
  });

  it.each([
    ['app', 'give a new name'],
    ['app=Bad Name:1', 'new name'],
    ['app=reg/app:$(id)', 'tag'],
    ['app:1;rm', 'tag'],
    ['app@sha256:123', 'digest'],
    ['../x:1', 'image name'],
    ['app=reg/app:1\n2', 'tag'],
  ])('rejects %j', (arg, why) => {
    expect(() => parseImageArg(arg)).toThrowError(why);
    try {
      parseImageArg(arg);
    } catch (e) {
      expect((e as GitopsError).exitCode).toBe(2);
      expect((e as GitopsError).message).toContain(JSON.stringify(arg));
    }
  });
});

const overlay = `# dev overlay: keep this comment
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: dev # inline comment
resources:
  - ../../base
images:
  # the app image
  - name: zeta
    newTag: "1"
  - name: app
    newName: reg/app
    newTag: "1.0.0" # pinned
labels:
  - pairs: { team: a }
`;

describe('setImages edits in place with kustomize semantics', () => {
  it('replaces the entry, keeps other fields, comments and order of keys', () => {
    const doc = parseKustomization(overlay, 'k.yaml');
    expect(setImages(doc, [parseImageArg('app=reg/app:1.1.0')])).toBe(true);
    const text = doc.toString();
    expect(text).toContain('# dev overlay: keep this comment');
    expect(text).toContain('namespace: dev # inline comment');
    expect(text).toContain('# pinned');
    expect(text).toContain('labels:');
    expect(readImages(doc)).toEqual([
      { name: 'app', newName: 'reg/app', newTag: '1.1.0' },
      { name: 'zeta', newTag: '1' },
    ]);
  });

  it('an argument without a new name drops the old one, as kustomize does', () => {
    expect(planImages([{ name: 'app', newName: 'reg/app', newTag: '1' }], [{ name: 'app', newTag: '2' }])).toEqual([
      { name: 'app', newTag: '2' },
    ]);
  });

  it('* keeps the existing field', () => {
    expect(
      planImages(
        [{ name: 'app', newName: 'reg/app', newTag: '1', digest }],
        [{ name: 'app', newName: '*', newTag: '2', digest: '*' }],
      ),
    ).toEqual([{ name: 'app', newName: 'reg/app', newTag: '2', digest }]);
  });

  it('sets several images at once and sorts by name', () => {
    const doc = parseKustomization('resources: [a.yaml]\n', 'k.yaml');
    setImages(doc, ['b:2', 'a=reg/a:1'].map(parseImageArg));
    expect(imageMap(readImages(doc))).toEqual({ a: 'reg/a:1', b: 'b:2' });
    expect(doc.toString().indexOf('name: a')).toBeLessThan(doc.toString().indexOf('name: b'));
  });

  it('returns false and leaves the text byte-for-byte when nothing changes', () => {
    const doc = parseKustomization(overlay, 'k.yaml');
    expect(setImages(doc, [parseImageArg('app=reg/app:1.0.0')])).toBe(false);
    expect(doc.toString()).toBe(parseKustomization(overlay, 'k.yaml').toString());
  });

  it('reads images as references (find_current_image)', () => {
    expect(imageMap(readImages(parseKustomization(overlay, 'k.yaml')))).toEqual({
      zeta: 'zeta:1',
      app: 'reg/app:1.0.0',
    });
  });

  it.each([
    ['images: {a: 1}\n', '`images:` is not a list'],
    ['images:\n  - newTag: "1"\n', 'has no `name:`'],
    ['- a\n- b\n', 'not a YAML mapping'],
    ['a: [\n', 'not valid YAML'],
    ['a: 1\na: 2\n', 'not valid YAML'],
  ])('rejects a broken kustomization %j', (text, why) => {
    expect(() => readImages(parseKustomization(text, 'k.yaml'))).toThrowError(why);
  });
});
