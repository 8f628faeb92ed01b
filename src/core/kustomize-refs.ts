/**
 * The paths a kustomization names (resources, bases, components, patches, generator files, …), split
 * into local ones and remote ones (URLs, git@…, host/path): what a render of the overlay reads.
 */

export type Kustomization = Record<string, unknown>;

/**
 * A remote reference kustomize would fetch: a URL, an scp-like git address (any `user@host:path`, as
 * kustomize reads one — not only `git@`), `github.com:org/repo`, or `host.tld/path`.
 */
export function isRemoteReference(p: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/|^[a-z0-9+.-]+::|^[a-z][a-z0-9-]*@|^github\.com:|^[\w-]+(\.[\w-]+)+(:\d+)?\//i.test(p);
}

/** Every path a kustomization names, local and remote (inline patches and multi-line texts excluded). */
export function kustomizationPaths(k: Kustomization): { local: string[]; remote: string[] } {
  const local: string[] = [];
  const remote: string[] = [];
  const str = (v: unknown) => {
    if (typeof v !== 'string' || v.includes('\n') || v === '') return;
    (isRemoteReference(v) ? remote : local).push(v);
  };
  const list = (v: unknown) => Array.isArray(v) && v.forEach(str);
  for (const key of [
    'resources',
    'bases',
    'components',
    'crds',
    'patchesStrategicMerge',
    'configurations',
    'generators',
    'transformers',
    'validators',
  ])
    list(k[key]);
  for (const key of ['patches', 'patchesJson6902', 'replacements']) {
    if (Array.isArray(k[key])) for (const p of k[key] as { path?: unknown }[]) str(p?.path);
  }
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    if (!Array.isArray(k[key])) continue;
    for (const g of k[key] as { files?: unknown[]; envs?: unknown[]; env?: unknown }[]) {
      for (const f of g?.files ?? []) str(typeof f === 'string' ? f.split('=').pop() : f);
      list(g?.envs);
      str(g?.env);
    }
  }
  if (k.openapi && typeof k.openapi === 'object') str((k.openapi as { path?: unknown }).path);
  // Helm (kustomize --enable-helm): charts pulled from a repository at render time are remote; the
  // chart home and values files are local paths like any other.
  if (Array.isArray(k.helmCharts))
    for (const c of k.helmCharts as { repo?: unknown; valuesFile?: unknown; additionalValuesFiles?: unknown }[]) {
      if (typeof c?.repo === 'string') remote.push(c.repo);
      str(c?.valuesFile);
      list(c?.additionalValuesFiles);
    }
  if (k.helmGlobals && typeof k.helmGlobals === 'object') str((k.helmGlobals as { chartHome?: unknown }).chartHome);
  return { local, remote };
}
