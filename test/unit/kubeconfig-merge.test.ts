/**
 * A KUBECONFIG list is merged as kubectl merges it: the first file to set current-context wins, the
 * first file to name a cluster, user or context wins, and a listed file that does not exist is
 * skipped — so the API connection reaches the cluster kubectl would (client-node alone takes the
 * last file's current-context and throws on a repeated name).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectKube } from '../../src/adapters/kube-api.js';

function kubeconfig(dir: string, file: string, o: { current?: string; contexts: [string, string][] }): string {
  const path = join(dir, file);
  const names = o.contexts.map(([name]) => name);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      ...(o.current ? [`current-context: ${o.current}`] : []),
      'clusters:',
      ...o.contexts.map(
        ([name, server]) => `  - name: ${name}\n    cluster: { server: "${server}", insecure-skip-tls-verify: true }`,
      ),
      'users:',
      ...names.map((n) => `  - name: ${n}\n    user: { token: not-a-secret }`),
      'contexts:',
      ...names.map((n) => `  - name: ${n}\n    context: { cluster: ${n}, user: ${n}, namespace: ns-${n}-${file} }`),
      '',
    ].join('\n'),
  );
  return path;
}

describe('the API connection reads a KUBECONFIG list as kubectl does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gitops-flow-kubeconfig-'));
  const a = kubeconfig(dir, 'a', { current: 'one', contexts: [['one', 'https://127.0.0.1:6441']] });
  const b = kubeconfig(dir, 'b', {
    current: 'two',
    contexts: [
      ['one', 'https://127.0.0.1:6442'],
      ['two', 'https://127.0.0.1:6443'],
    ],
  });
  const none = kubeconfig(dir, 'none', { contexts: [['three', 'https://127.0.0.1:6444']] });
  const connect = async (list: string[], context?: string) => {
    const api = await connectKube(context ? { context } : {}, { KUBECONFIG: list.join(':') });
    api.close();
    return { server: api.server, namespace: api.namespace };
  };

  it("takes the first file's current-context and the first file's entry for a repeated name", async () => {
    expect(await connect([a, b])).toEqual({ server: 'https://127.0.0.1:6441', namespace: 'ns-one-a' });
    expect(await connect([b, a])).toEqual({ server: 'https://127.0.0.1:6443', namespace: 'ns-two-b' });
    expect(await connect([a, b], 'two')).toEqual({ server: 'https://127.0.0.1:6443', namespace: 'ns-two-b' });
  });

  it('takes a later current-context when the first file sets none, and skips a listed file that does not exist', async () => {
    expect(await connect([none, join(dir, 'missing'), b])).toEqual({
      server: 'https://127.0.0.1:6443',
      namespace: 'ns-two-b',
    });
  });
});
