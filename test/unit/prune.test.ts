/** What prune would delete, and where the inventory lives (pure parts of src/steps/deploy/prune.ts). */
import { describe, expect, it } from 'vitest';
import type { KubeApi } from '../../src/adapters/kube-api.js';
import type { Environment } from '../../src/core/config.js';
import type { ObjectRef } from '../../src/core/workloads.js';
import { claimsOf, inventoryLocation, notOurs, toPrune } from '../../src/steps/deploy/prune.js';

const env = (prune: Environment['prune'], namespace?: string): Environment =>
  ({
    name: 'dev',
    overlay: 'o',
    timeoutMs: 1,
    requireVerified: false,
    verify: { rules: [], skip: [], failFast: false },
    prune,
    ...(namespace && { namespace }),
  }) as Environment;
const on = { namespaces: false, customResourceDefinitions: false };
const ref = (apiVersion: string, kind: string, name: string, namespace?: string): ObjectRef => ({
  apiVersion,
  kind,
  name,
  ...(namespace && { namespace }),
});

const web = ref('apps/v1', 'Deployment', 'web', 'shop');
const old = ref('apps/v1', 'Deployment', 'old', 'shop');
const cm = ref('v1', 'ConfigMap', 'old', 'shop');
const ns = ref('v1', 'Namespace', 'legacy');
const crd = ref('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com');

describe('toPrune', () => {
  it('deletes what the inventory has and the render has not, whatever the apiVersion the render uses now', () => {
    const r = toPrune([web, old, cm], [{ ...web, apiVersion: 'apps/v1beta2' }], env(on));
    expect(r.prune).toEqual([old, cm]);
    expect(r.kept).toEqual([]);
  });

  it('keeps Namespaces and CRDs unless config allows them; a same-named object in another namespace is another object', () => {
    const inventory = [web, ns, crd, { ...web, namespace: 'other' }];
    expect(toPrune(inventory, [web], env(on))).toEqual({ prune: [{ ...web, namespace: 'other' }], kept: [ns, crd] });
    expect(toPrune(inventory, [web], env({ namespaces: true, customResourceDefinitions: true })).prune).toEqual([
      ns,
      crd,
      { ...web, namespace: 'other' },
    ]);
  });

  it('prune: false deletes nothing', () => {
    expect(toPrune([web, old], [web], env(false)).prune).toEqual([]);
  });
});

describe('inventoryLocation', () => {
  const api = { namespace: 'default' } as KubeApi;
  it("config first, then the env's namespace, then the render's one namespace, then the context's", () => {
    expect(inventoryLocation(env({ ...on, inventoryNamespace: 'ops' }, 'shop'), [web], api)).toEqual({
      namespace: 'ops',
      name: 'gitops-flow-inventory-dev',
    });
    expect(inventoryLocation(env(on, 'team'), [web], api).namespace).toBe('team');
    expect(inventoryLocation(env(on), [web, ns], api).namespace).toBe('shop');
    expect(inventoryLocation(env(on), [web, { ...old, namespace: 'b' }], api).namespace).toBe('default');
  });
});

describe('safety: what is not ours to prune', () => {
  const inventory = (env: string, namespace: string, objects: unknown, name = `gitops-flow-inventory-${env}`) => ({
    metadata: { name, namespace, labels: { 'gitops-flow.io/env': env } },
    data: { 'objects.json': typeof objects === 'string' ? objects : JSON.stringify(objects) },
  });
  const own = { namespace: 'shop', name: 'gitops-flow-inventory-dev' };

  it("another env's inventory claims its objects (any apiVersion of the group); ours and damaged ones claim nothing", () => {
    const claims = claimsOf(
      [
        inventory('dev', 'shop', [old]),
        inventory('preview', 'shop', [{ ...web, apiVersion: 'apps/v1beta2' }]),
        inventory('broken', 'shop', '{not json'),
        inventory('odd', 'shop', { not: 'a list' }),
        inventory('fake', 'shop', [cm], 'not-an-inventory'),
      ],
      own,
    );
    expect([...claims]).toEqual([['apps/Deployment/shop/web', 'preview']]);
  });

  it('an object gitops-flow applied, alone and uncontrolled, is ours', () => {
    expect(notOurs({ managedFields: [{ manager: 'gitops-flow', operation: 'Apply' }] })).toBeUndefined();
    // A controller writing status, kubectl scale, a human's edit: still ours.
    expect(
      notOurs({
        managedFields: [
          { manager: 'gitops-flow', operation: 'Apply' },
          { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status' },
          { manager: 'kubectl-edit', operation: 'Update' },
        ],
      }),
    ).toBeUndefined();
  });

  it('never applied by gitops-flow, kept by annotation, applied by another tool, or controlled by an owner: kept', () => {
    const ours = { manager: 'gitops-flow', operation: 'Apply' };
    expect(notOurs({ managedFields: [{ manager: 'kubectl-create', operation: 'Update' }] })).toBe(
      'not applied by gitops-flow',
    );
    expect(notOurs({ managedFields: [ours], annotations: { 'gitops-flow.io/prune': 'false' } })).toBe(
      'annotated gitops-flow.io/prune: "false"',
    );
    expect(notOurs({ managedFields: [ours, { manager: 'argocd-controller', operation: 'Apply' }] })).toBe(
      'also applied by argocd-controller',
    );
    expect(
      notOurs({
        managedFields: [ours],
        ownerReferences: [{ kind: 'Widget', name: 'w', controller: true }],
      }),
    ).toBe('controlled by Widget/w');
    expect(notOurs({ managedFields: [ours], ownerReferences: [{ kind: 'Widget', name: 'w' }] })).toBeUndefined();
  });
});
