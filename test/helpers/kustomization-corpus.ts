/**
 * Overlays in the styles real env repos use (written for these tests after the shapes of public repos,
 * not copied): what `kustomize edit` writes, indented lists, flow maps and lists, comments between and
 * inside entries, runs of blank lines, CRLF, single quotes, wide indentation, no or empty `images:`,
 * long overlays with inline patches, components, odd key order, no final newline, and the three file
 * names kustomize accepts. Each resolves against `CORPUS_BASE` (images app, worker, nginx, side).
 */

export const D1 = `sha256:${'1'.repeat(64)}`;
export const D2 = `sha256:${'2'.repeat(64)}`;

export const CORPUS_BASE: Record<string, string> = {
  'base/kustomization.yaml': 'resources:\n- deployment.yaml\n',
  'base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
      - {name: init, image: "side:0"}
      containers:
      - {name: app, image: app}
      - {name: worker, image: "worker:1"}
      - {name: proxy, image: "nginx:1.0"}
`,
};

export interface CorpusCase {
  name: string;
  /** The overlay's file name (kustomization.yaml, kustomization.yml or Kustomization). */
  file: string;
  text: string;
}

const compact = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../base
images:
- name: app
  newName: registry.example.com/team/app
  newTag: 1.4.2
- name: nginx
  newTag: "1.25"
- name: worker
  newName: registry.example.com/team/worker
  newTag: 2.0.0
`;

const indented = `# dev overlay — owned by the platform team
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization

namespace: dev   # aligned comment


resources:
  - ../base

images:
  # the application itself
  - name: app
    newName: registry.example.com/team/app # mirrored
    newTag: "1.4.2"

  # the sidecar proxy, pinned by the security team
  - name: nginx
    newTag: "1.25"
  - name: worker
    newTag: "2.0.0"
    # digest: sha256:old (kept for the record)

labels:
  - pairs:
      team: web
`;

const flowEntries = `resources: [../base]
images:
- {name: app, newName: registry.example.com/team/app, newTag: "1.4.2"}
- {name: worker, newTag: "2.0.0"}
`;

const flowList = `resources: ["../base"]
images: [{name: app, newTag: "1.4.2"}, {name: worker, newTag: "2.0.0"}]
`;

const flowMultiline = `resources:
  - ../base
images: [
  {name: app, newName: registry.example.com/team/app, newTag: "1.4.2"},
  {name: worker, newTag: "2.0.0"}
]
`;

const singleQuoted = `resources:
- '../base'
images:
- name: 'app'
  newName: 'registry.example.com/team/app'
  newTag: '1.4.2'
- name: 'worker'
  newTag: '2.0.0'
`;

const wide = `resources:
    - ../base
images:
    -   name: app
        newName: registry.example.com/team/app
        newTag: 1.4.2
    -   name: worker
        newTag: 2.0.0
`;

const noImages = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization

resources:
  - ../base

namePrefix: dev-
`;

const emptyImages = `resources:
- ../base
images: []
`;

const nullImages = `resources:
- ../base
images:
namePrefix: dev-
`;

const digests = `resources:
- ../base
images:
- name: app
  newName: registry.example.com/team/app
  newTag: 1.4.2
  digest: ${D1}
- name: side
  digest: "${D2}"
`;

const component = `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
images:
- name: app
  newName: registry.example.com/team/app
  newTag: 1.4.2
`;

const oddOrder = `resources:
- ../base
images:
- newTag: 1.4.2
  name: app
  newName: registry.example.com/team/app
- newName: registry.example.com/team/worker
  name: worker
`;

const noFinalNewline = `resources:
- ../base
images:
- name: app
  newTag: 1.4.2`;

const unsorted = `resources:
- ../base
images:
- name: worker
  newTag: 2.0.0
- name: app
  newTag: 1.4.2
`;

const patchLines = Array.from(
  { length: 12 },
  (_, i) => `  - target:
      kind: Deployment
      name: web
    patch: |-
      - op: add
        path: /metadata/annotations/note-${i}
        value: "patch ${i}"
`,
).join('\n');

const long = `---
# yamllint disable rule:line-length
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: prod
resources:
  - ../base
patches:
${patchLines}
configMapGenerator:
  - name: settings
    literals:
      - LOG_LEVEL=info
      - FEATURE_X=on
replicas:
  - name: web
    count: 3

images:
  - name: app
    newName: registry.example.com/team/app
    newTag: "1.4.2"   # bumped by the release bot
  - name: nginx
    newTag: "1.25"
  - name: worker
    newName: registry.example.com/team/worker
    newTag: "2.0.0"
# end of overlay
`;

export const CORPUS: CorpusCase[] = [
  { name: 'kustomize-compact', file: 'kustomization.yaml', text: compact },
  { name: 'indented-comments-blank-lines', file: 'kustomization.yaml', text: indented },
  { name: 'flow-entries', file: 'kustomization.yaml', text: flowEntries },
  { name: 'flow-list', file: 'kustomization.yaml', text: flowList },
  { name: 'flow-list-multiline', file: 'kustomization.yaml', text: flowMultiline },
  { name: 'crlf', file: 'kustomization.yaml', text: compact.replace(/\n/g, '\r\n') },
  { name: 'crlf-indented', file: 'kustomization.yaml', text: indented.replace(/\n/g, '\r\n') },
  { name: 'single-quoted', file: 'kustomization.yaml', text: singleQuoted },
  { name: 'wide-indentation', file: 'kustomization.yaml', text: wide },
  { name: 'no-images', file: 'kustomization.yaml', text: noImages },
  { name: 'empty-images', file: 'kustomization.yaml', text: emptyImages },
  { name: 'null-images', file: 'kustomization.yaml', text: nullImages },
  { name: 'digests', file: 'kustomization.yaml', text: digests },
  { name: 'component', file: 'kustomization.yaml', text: component },
  { name: 'odd-key-order', file: 'kustomization.yaml', text: oddOrder },
  { name: 'no-final-newline', file: 'kustomization.yaml', text: noFinalNewline },
  { name: 'unsorted', file: 'kustomization.yaml', text: unsorted },
  { name: 'long-with-patches', file: 'kustomization.yaml', text: long },
  { name: 'yml-name', file: 'kustomization.yml', text: compact },
  { name: 'capitalized-name', file: 'Kustomization', text: indented },
];

/** Every form `--image` takes, on existing and new images (app is in every overlay with images). */
export const EDIT_FORMS: string[][] = [
  ['app:1.5.0'],
  ['app=registry.example.com/team/app:1.5.0'],
  ['app=*:1.5.0'],
  [`app=*:1.5.0@${D2}`],
  [`app=registry.example.com/team/app:1.5.0@${D2}`],
  [`app@${D2}`],
  ['app=mirror.example.com:5000/app'],
  ['app=*:1.10'],
  ['app=*:true'],
  ['worker=*:2.1.0'],
  ['side:1'],
  ['aaa=registry.example.com/aaa:1'],
  ['zzz:1'],
  ['app=*:1.5.0', 'worker=*:2.1.0'],
];
