// kubeconfig files of the local clusters: one per cluster (credentials embedded) and a merged one.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import type { Pki } from './pki.js';

interface KubeconfigNamed {
  name: string;
  [k: string]: unknown;
}
interface Kubeconfig {
  apiVersion?: string;
  kind?: string;
  clusters?: KubeconfigNamed[];
  users?: KubeconfigNamed[];
  contexts?: KubeconfigNamed[];
  'current-context'?: string;
  preferences?: unknown;
}

/**
 * Merges kubeconfigs into one file (like `KUBECONFIG=a:b kubectl config view
 * --flatten`): clusters, users and contexts of all; the first file's
 * current-context. A name defined twice with different content is an error.
 */
export async function mergeKubeconfigs(paths: readonly string[], out: string): Promise<void> {
  const merged: Required<Pick<Kubeconfig, 'clusters' | 'users' | 'contexts'>> & Kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [],
    users: [],
    contexts: [],
  };
  for (const p of paths) {
    const cfg = (parse(await readFile(p, 'utf8')) ?? {}) as Kubeconfig;
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      for (const item of cfg[key] ?? []) {
        const existing = merged[key].find((e) => e.name === item.name);
        if (!existing) merged[key].push(item);
        else if (JSON.stringify(existing) !== JSON.stringify(item))
          throw new Error(`mergeKubeconfigs: ${key} entry "${item.name}" differs between files (${p})`);
      }
    }
    merged['current-context'] ??= cfg['current-context'];
  }
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, stringify(merged), { mode: 0o600 });
}

export async function kubeconfigYaml(name: string, server: string, pki: Pki): Promise<string> {
  const b64 = async (f: string) => (await readFile(f)).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name, cluster: { server, 'certificate-authority-data': await b64(pki.caCert) } }],
    users: [
      {
        name,
        user: {
          'client-certificate-data': await b64(pki.adminCert),
          'client-key-data': await b64(pki.adminKey),
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  });
}
