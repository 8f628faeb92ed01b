/**
 * The in-process server-side apply sends only what kubectl would send the same way: a manifest that a
 * YAML 1.1 reader (kubectl's) reads differently from YAML 1.2 goes to kubectl; names are `-o name`'s.
 */
import { describe, expect, it } from 'vitest';
import { warningsOf } from '../../src/adapters/kube-api.js';
import { nameOf, sendableObjects } from '../../src/adapters/kube-apply.js';

const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n${data}`;

describe('sendableObjects', () => {
  it('sends a plain manifest as its objects, in order, skipping empty documents', () => {
    const objects = sendableObjects(
      `${cm('  a: "1"\n')}---\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n`,
    );
    expect(objects).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } },
    ]);
  });

  it.each([
    ['an octal file mode (kubectl: 420)', 'defaultMode: 0644'],
    ['a YAML 1.1 boolean (kubectl: true)', 'enabled: yes'],
    ['a sexagesimal number (kubectl: 3600)', 'every: 1:00:00'],
    ['a one-letter boolean (kubectl: name false)', 'name: n'],
  ])('leaves %s to kubectl', (_what, line) => {
    const manifest = `apiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: t\nspec:\n  ${line}\n`;
    expect(sendableObjects(manifest)).toBe('YAML 1.1 (kubectl) reads a value differently');
  });

  it('sends the same values quoted, as kustomize writes them', () => {
    const objects = sendableObjects(cm('  mode: "0644"\n  enabled: "yes"\n'));
    expect(objects).toEqual([expect.objectContaining({ data: { mode: '0644', enabled: 'yes' } })]);
  });

  it('leaves an integer beyond 2^53 to kubectl (JSON numbers would lose digits)', () => {
    const manifest =
      'apiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: t\nspec:\n  big: 12345678901234567890\n';
    expect(sendableObjects(manifest)).toBe('an integer beyond 2^53');
    expect(sendableObjects(manifest.replace('12345678901234567890', '1234567890'))).not.toBeTypeOf('string');
  });

  it.each(['.nan', '.inf', '-.inf'])('leaves %s to kubectl (JSON would send null: remove the field)', (v) => {
    const manifest = `apiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: t\nspec:\n  ratio: ${v}\n`;
    expect(sendableObjects(manifest)).toBe('a .nan or .inf value');
  });

  it('leaves a document that is not an object, or does not parse, to kubectl', () => {
    expect(sendableObjects('- a\n- b\n')).toBe('a document is not an object');
    expect(sendableObjects('a: [\n')).toBe('a document is not an object');
  });
});

describe('nameOf', () => {
  it("writes kubectl apply -o name's words", () => {
    expect(nameOf('apps/v1', 'Deployment', 'web')).toBe('deployment.apps/web');
    expect(nameOf('v1', 'ConfigMap', 'settings')).toBe('configmap/settings');
    expect(nameOf('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'things.example.com')).toBe(
      'customresourcedefinition.apiextensions.k8s.io/things.example.com',
    );
  });
});

describe('warningsOf', () => {
  it("reads the texts of the API server's Warning headers, as kubectl prints them", () => {
    expect(warningsOf('299 - "apps/v1beta1 Deployment is deprecated"')).toEqual([
      'apps/v1beta1 Deployment is deprecated',
    ]);
    expect(warningsOf(['299 - "one, with a comma"', '299 - "two \\"quoted\\""'])).toEqual([
      'one, with a comma',
      'two "quoted"',
    ]);
    expect(warningsOf(undefined)).toEqual([]);
  });
});
