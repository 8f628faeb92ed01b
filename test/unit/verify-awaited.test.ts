/** Which objects of a render a deploy waits for: config's verify.skip, verify.workloads and verify.rules. */
import { describe, expect, it } from 'vitest';
import type { ObjectRef } from '../../src/core/workloads.js';
import { awaited } from '../../src/steps/deploy/verify-render.js';

const ref = (apiVersion: string, kind: string, name: string): ObjectRef => ({
  apiVersion,
  kind,
  name,
  namespace: 'shop',
});
const web = ref('apps/v1', 'Deployment', 'web');
const api = ref('apps/v1', 'Deployment', 'api');
const ing = ref('networking.k8s.io/v1', 'Ingress', 'web');
const cm = ref('v1', 'ConfigMap', 'settings');
const cert = ref('cert-manager.io/v1', 'Certificate', 'tls');

describe('awaited', () => {
  it('by default: every object with a status, not ConfigMaps and the like; custom resources too', () => {
    expect([web, ing, cm, cert].filter((r) => awaited(r, {}))).toEqual([web, ing, cert]);
  });

  it('verify.skip takes Kind, group/Kind or Kind/name', () => {
    expect([web, api, ing, cert].filter((r) => awaited(r, { skip: ['Ingress'] }))).toEqual([web, api, cert]);
    expect([web, api, ing, cert].filter((r) => awaited(r, { skip: ['cert-manager.io/Certificate'] }))).toEqual([
      web,
      api,
      ing,
    ]);
    expect([web, api, ing].filter((r) => awaited(r, { skip: ['Deployment/api'] }))).toEqual([web, ing]);
    // Another group's kind of the same name is not skipped by group/Kind.
    expect(awaited(cert, { skip: ['example.com/Certificate'] })).toBe(true);
  });

  it('verify.workloads keeps only the objects it names', () => {
    expect([web, api, ing].filter((r) => awaited(r, { only: ['Deployment/web'] }))).toEqual([web]);
  });

  it('a rule from config makes a kind without status awaited; skip still wins', () => {
    const rules = [{ kind: 'ConfigMap', ready: [] }];
    expect(awaited(cm, { rules })).toBe(true);
    expect(awaited(cm, { rules, skip: ['ConfigMap/settings'] })).toBe(false);
  });
});
