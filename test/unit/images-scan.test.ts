/** The fast images scanner agrees with the YAML parser, or steps aside (differential, seeded). */
import { describe, expect, it } from 'vitest';
import { scanImages } from '../../src/core/images-scan.js';
import { parseKustomization, readImages } from '../../src/core/kustomization.js';
import { seededRandom } from '../helpers/random.js';

const VALUES = [
  '1.0.0',
  '"1.0.0"',
  "'1.0.0'",
  '1.10',
  '2',
  'true',
  'latest',
  '"a #b"',
  'x # comment',
  '',
  '~',
  'null',
  '&a 1',
  '*a',
  '!!str 1',
  '|',
  '[a]',
  '{a: 1}',
  "'it''s'",
  '"esc\\"aped"',
  'reg.io:5000/app',
  'a: b',
  `sha256:${'e'.repeat(64)}`,
];
const KEYS = ['name', 'newName', 'newTag', 'digest', 'other'];

function generate(rand: () => number): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)] as T;
  const indent = pick(['', '  ']);
  const lines = [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    pick(['# comment', 'resources:\n- ../base', 'namespace: dev']),
  ];
  if (rand() < 0.1) lines.push(pick(['images: []', 'images: [{name: a, newTag: "1"}]', '"images":\n- name: a']));
  else {
    lines.push(pick(['images:', 'images: # list', 'images:']));
    const n = Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) {
      lines.push(`${indent}- name: ${pick(['app', 'svc-1', '"quoted"', 'reg.io/x'])}`);
      for (let k = 0; k < Math.floor(rand() * 4); k++) {
        if (rand() < 0.1) lines.push(pick(['', '# note', `${indent}  # inner`]));
        lines.push(`${indent}  ${pick(KEYS.slice(1))}: ${pick(VALUES)}`);
      }
    }
  }
  if (rand() < 0.5) lines.push(pick(['labels:', 'patches:\n- path: p.yaml', 'commonLabels:\n  a: b']));
  return `${lines.join('\n')}\n`;
}

describe('scanImages', () => {
  it('agrees with the YAML parser on 5,000 generated kustomizations, or gives up', () => {
    const rand = seededRandom(42);
    let scanned = 0;
    for (let i = 0; i < 5000; i++) {
      const text = generate(rand);
      let expected: unknown;
      try {
        expected = readImages(parseKustomization(text, 'k.yaml'));
      } catch {
        expected = 'error';
      }
      const got = scanImages(text);
      if (got === undefined) continue;
      scanned++;
      expect(got, text).toEqual(expected);
    }
    // The generator favours odd inputs; still, the fast path must be taken for a large share.
    expect(scanned).toBeGreaterThan(1500);
  });

  it('takes the fast path on what kustomize and gitops-flow write', () => {
    const kustomizeStyle = `images:\n- digest: sha256:${'c'.repeat(64)}\n  name: app\n  newName: reg/app\n  newTag: "2.0"\n- name: nginx\n  newTag: "1.2"\n`;
    expect(scanImages(kustomizeStyle)).toEqual([
      { name: 'app', newName: 'reg/app', newTag: '2.0', digest: `sha256:${'c'.repeat(64)}` },
      { name: 'nginx', newTag: '1.2' },
    ]);
    const ours =
      '# dev\nresources:\n  - ../../base\nimages:\n  - name: application-image\n    newName: registry.example.com/team/pick-manager\n    newTag: "1.0.0" # pinned\n';
    expect(scanImages(ours)).toEqual([
      { name: 'application-image', newName: 'registry.example.com/team/pick-manager', newTag: '1.0.0' },
    ]);
  });

  it('refuses a plain number where kustomize wants a string, saying how to quote it', () => {
    const text = 'images:\n- name: a\n  newTag: 1.10\n';
    expect(scanImages(text)).toBeUndefined();
    expect(() => readImages(parseKustomization(text, 'k'))).toThrowError('is the number 1.10, not a string');
    try {
      readImages(parseKustomization(text, 'k'));
    } catch (e) {
      expect((e as { remediation: string }).remediation).toContain('newTag: "1.10"');
    }
  });
});
