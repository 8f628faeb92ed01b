/**
 * The render is server-side applied through the API in-process (src/adapters/kube-apply.ts), and the
 * result is kubectl's own: applying the same file with `kubectl apply --server-side` afterwards changes
 * nothing. Where that path cannot reproduce kubectl (objects kubectl applied client-side before, kinds
 * the cluster does not serve), kubectl applies, with its own behaviour and words.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitFiles, makeRepo } from '../helpers/git-fixtures.js';
import { gitopsFlow, kube, uniqueExample, withExtra } from './helpers.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const KUBECTL_APPLY =
  /^\$ kubectl .*\bapply --server-side --field-manager=gitops-flow --force-conflicts -f \S+\/rendered\/dev\.yaml/m;

/**
 * Each object's gitops-flow managed-fields entry (with its time) and generation. (Not the Namespace:
 * with no field to own, an apply leaves it no entry, and any later apply, kubectl's own included,
 * stamps it `before-first-apply`.)
 */
function ourFields(ns: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kind of ['deployment', 'horizontalpodautoscaler']) {
    const o = JSON.parse(
      kube('dev', ['-n', ns, 'get', kind, 'pick-manager', '--show-managed-fields', '-o', 'json']),
    ) as { metadata: { generation?: number; managedFields?: { manager: string }[] } };
    const ours = (o.metadata.managedFields ?? []).filter((f) => f.manager === 'gitops-flow');
    expect(ours, kind).toHaveLength(1);
    out[kind] = JSON.stringify([o.metadata.generation, ours]);
  }
  return out;
}

describe('server-side apply through the API', () => {
  it('applies without a kubectl process, and kubectl applying the same render afterwards changes nothing', async () => {
    const { files, ns } = uniqueExample();
    const dir = makeRepo(files);
    const r = await gitopsFlow(['--verbose', 'deploy', '--env', 'dev', '--timeout', '60s'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(KUBECTL_APPLY);
    expect(r.stderr).not.toContain('applying with kubectl instead');
    // A redeploy (the Namespace now stamped `before-first-apply` by the API server) goes through the API too.
    commitFiles(dir, { [DEV]: (files[DEV] as string).replace('newTag: "1.0.0"', 'newTag: "1.0.1"') }, 'Bump');
    const again = await gitopsFlow(['--verbose', 'deploy', '--env', 'dev', '--timeout', '60s'], dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(KUBECTL_APPLY);
    expect(again.stderr).not.toContain('applying with kubectl instead');
    const before = ourFields(ns('dev'));
    expect(before.deployment).toContain('"operation":"Apply"');
    const rendered = join(dir, '.gitops-flow/rendered/dev.yaml');
    kube('dev', ['apply', '--server-side', '--field-manager=gitops-flow', '--force-conflicts', '-f', rendered]);
    expect(ourFields(ns('dev'))).toEqual(before);
  });

  it('an object kubectl applied client-side before is handed to kubectl, which moves its fields to gitops-flow: a field dropped from the render is then removed', async () => {
    const { files, ns } = uniqueExample();
    const dir = makeRepo(files);
    // What a team's old bash job did: kustomize build | kubectl apply -f - (client-side), with a label
    // the overlay no longer has.
    const rendered = await gitopsFlow(['render', '--env', 'dev'], dir);
    expect(rendered.code, rendered.stderr).toBe(0);
    const legacy = rendered.stdout.replace(
      /(kind: Deployment\nmetadata:\n)/,
      '$1  annotations:\n    team.example.com/legacy: "true"\n',
    );
    expect(legacy).toContain('team.example.com/legacy');
    const file = join(mkdtempSync(join(tmpdir(), 'gitops-flow-legacy-')), 'legacy.yaml');
    writeFileSync(file, legacy);
    kube('dev', ['apply', '-f', file]);
    const r = await gitopsFlow(['--verbose', 'deploy', '--env', 'dev', '--timeout', '60s'], dir);
    expect(r.code, r.stderr).toBe(0);
    const annotations = kube('dev', [
      '-n',
      ns('dev'),
      'get',
      'deployment',
      'pick-manager',
      '-o',
      'jsonpath={.metadata.annotations}',
    ]);
    expect(annotations).not.toContain('team.example.com/legacy');
    expect(r.stderr).toMatch(/applying with kubectl instead of the API: \w+\/[\w-]+ was applied client-side before/);
    expect(r.stderr).toMatch(KUBECTL_APPLY);
  });

  it('a kind the cluster does not serve is applied by kubectl, whose refusal names it', async () => {
    const { files } = withExtra('apiVersion: example.com/v1\nkind: NoSuchThing\nmetadata:\n  name: nothing\n');
    const dir = makeRepo(files);
    const r = await gitopsFlow(['--verbose', 'deploy', '--env', 'dev', '--timeout', '20s'], dir);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('applying with kubectl instead of the API: the cluster does not serve example.com/v1');
    expect(r.stderr).toContain('error[APPLY_FAILED]');
    expect(r.stderr).toMatch(/no matches for kind "NoSuchThing"/);
  });

  it("an object naming another namespace than the env's `namespace:` is kubectl's to refuse, as it refuses it", async () => {
    // The overlay puts every object in ns('dev'); the env's config says another namespace.
    const { files, ns } = uniqueExample();
    const dir = makeRepo({
      ...files,
      'gitops-flow.yaml': `environments:\n  dev: { cluster: { context: dev }, namespace: ${ns('dev')}-x }\n  uat: { cluster: { context: uat } }\n  prod: { cluster: { context: prod } }\n`,
    });
    const r = await gitopsFlow(['--verbose', 'deploy', '--env', 'dev', '--timeout', '20s'], dir);
    expect(r.stderr).toContain(
      `applying with kubectl instead of the API: Deployment/pick-manager names namespace ${ns('dev')}, not the env's ${ns('dev')}-x`,
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('error[APPLY_FAILED]');
    expect(r.stderr).toMatch(/does not match the namespace/);
    expect(() => kube('dev', ['-n', ns('dev'), 'get', 'deployment', 'pick-manager'])).toThrow(/NotFound/);
  });
});
