/** What a rendered manifest holds: its objects and the workloads that must become ready. */
import { parseAllDocuments } from 'yaml';
import { invalid } from './errors.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface Workload extends ObjectRef {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  /** spec.selector.matchLabels, to find the workload's pods. */
  selector: Record<string, string>;
  /** Container name → image, from the pod template. */
  images: Record<string, string>;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** Parses a multi-document manifest into plain objects (skipping empty documents). */
export function parseManifest(text: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const out: Record<string, unknown>[] = [];
  for (const d of list) {
    if (d.errors.length > 0)
      throw invalid(
        'RENDER_INVALID',
        `The rendered manifest is not valid YAML: ${d.errors[0]?.message}`,
        'Check the kustomization renders with `kustomize build`.',
      );
    const obj = d.toJS({ maxAliasCount: 100 }) as unknown;
    if (obj && typeof obj === 'object') out.push(obj as Record<string, unknown>);
  }
  return out;
}

function meta(o: Record<string, unknown>): { name?: string; namespace?: string } {
  return (o.metadata ?? {}) as { name?: string; namespace?: string };
}

/** Every object of the manifest as a reference. */
export function objectsOf(manifest: Record<string, unknown>[]): ObjectRef[] {
  return manifest.map((o) => ({
    apiVersion: String(o.apiVersion ?? ''),
    kind: String(o.kind ?? ''),
    name: String(meta(o).name ?? ''),
    ...(meta(o).namespace && { namespace: meta(o).namespace }),
  }));
}

/** The Deployments, StatefulSets and DaemonSets of the manifest, optionally only `only` (Kind/name). */
export function workloadsOf(manifest: Record<string, unknown>[], only?: string[]): Workload[] {
  const out: Workload[] = [];
  for (const o of manifest) {
    const kind = String(o.kind);
    if (!WORKLOAD_KINDS.has(kind)) continue;
    const name = String(meta(o).name ?? '');
    if (only && !only.includes(`${kind}/${name}`)) continue;
    const spec = (o.spec ?? {}) as {
      selector?: { matchLabels?: Record<string, string> };
      template?: {
        spec?: { containers?: { name: string; image: string }[]; initContainers?: { name: string; image: string }[] };
      };
    };
    const containers = [...(spec.template?.spec?.initContainers ?? []), ...(spec.template?.spec?.containers ?? [])];
    out.push({
      apiVersion: String(o.apiVersion),
      kind: kind as Workload['kind'],
      name,
      ...(meta(o).namespace && { namespace: meta(o).namespace }),
      selector: spec.selector?.matchLabels ?? {},
      images: Object.fromEntries(containers.map((c) => [c.name, c.image])),
    });
  }
  return out;
}

/** `Kind/name` or `Kind/namespace/name` for messages. */
export function describeRef(r: ObjectRef): string {
  return r.namespace ? `${r.kind}/${r.name} (namespace ${r.namespace})` : `${r.kind}/${r.name}`;
}
