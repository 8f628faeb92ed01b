// What a local cluster is fed: kwok's Stages (how fake pods become Ready) and the fake nodes.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

const STAGES_FILE = fileURLToPath(new URL('./stages.yaml', import.meta.url));

/** stages.yaml with the delay of the pod-ready and pod-never-ready stages set. */
export async function stagesYaml(podReadyDelayMs: number): Promise<string> {
  if (!Number.isInteger(podReadyDelayMs) || podReadyDelayMs < 0)
    throw new Error('podReadyDelayMs must be an integer >= 0');
  const docs = parseAllDocuments(await readFile(STAGES_FILE, 'utf8'));
  const delayed = new Set(['pod-ready', 'pod-never-ready']);
  const found = new Set<string>();
  for (const doc of docs) {
    if ('errors' in doc && doc.errors.length > 0) throw new Error(`stages.yaml: ${doc.errors[0]?.message}`);
    const name = doc.getIn(['metadata', 'name']);
    if (typeof name === 'string' && delayed.has(name)) {
      doc.setIn(['spec', 'delay', 'durationMilliseconds'], podReadyDelayMs);
      found.add(name);
    }
  }
  for (const name of delayed) if (!found.has(name)) throw new Error(`stages.yaml has no ${name} Stage`);
  return docs.map((d) => d.toString({ lineWidth: 0 })).join('');
}

export function nodesYaml(n: number): string {
  const nodes = Array.from({ length: n }, (_, i) => {
    const name = `kwok-node-${i}`;
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
        labels: {
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/role': 'agent',
          'node-role.kubernetes.io/agent': '',
          type: 'kwok',
        },
      },
      // No taints: ordinary pods schedule here without tolerations.
      spec: {},
      status: {
        allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
        capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      },
    };
  });
  return stringify({ apiVersion: 'v1', kind: 'List', items: nodes });
}
