/**
 * Env repos in the shapes teams already have (written for these tests after the layouts of public env
 * repos, not copied): compact lists, components, patches, replacements, images set in a base, nested
 * overlays, a shared base, `.yml` and `Kustomization` file names, per-env registries. Each is a
 * `{ path: content }` map for makeRepo, with the image a one-image suggest changes in each.
 */

const deployment = (name: string, image: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: ${name}
        image: ${image}
${extra}`;

export interface Shape {
  files: Record<string, string>;
  /** The env a suggest goes to, and the image it sets (name=newName:tag). */
  env: string;
  image: string;
  /** The next env for promote (from `env`). */
  to?: string;
}

const compact: Shape = {
  env: 'dev',
  to: 'uat',
  image: 'web=registry.example.com/team/web:1.3.0',
  files: {
    'kustomizations/base/kustomization.yaml': 'resources:\n- deployment.yaml\n',
    'kustomizations/base/deployment.yaml': deployment('web', 'web'),
    'kustomizations/overlays/dev/kustomization.yaml':
      'resources:\n- ../../base\nnamespace: dev\nimages:\n- name: web\n  newName: registry.example.com/team/web\n  newTag: 1.2.0\n',
    'kustomizations/overlays/uat/kustomization.yaml':
      'resources:\n- ../../base\nnamespace: uat\nimages:\n- name: web\n  newName: registry.example.com/team/web\n  newTag: 1.1.0\n',
  },
};

const components: Shape = {
  env: 'dev',
  to: 'prod',
  // The component renamed `proxy`: the overlay sets the image by the name the render runs.
  image: 'registry.example.com/mirror/envoy:1.31.0',
  files: {
    'kustomize/base/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
    'kustomize/base/deployment.yaml': deployment('web', 'registry.example.com/team/web:1.0.0'),
    // A component adds a sidecar and pins its image; the envs do not name it.
    'kustomize/components/proxy/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - path: sidecar.yaml
images:
  - name: proxy
    newName: registry.example.com/mirror/envoy
    newTag: "1.30.0"
`,
    'kustomize/components/proxy/sidecar.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: proxy
        image: proxy
`,
    'kustomize/envs/dev/kustomization.yaml':
      'resources:\n  - ../../base\ncomponents:\n  - ../../components/proxy\nnamespace: dev\n',
    'kustomize/envs/prod/kustomization.yaml':
      'resources:\n  - ../../base\ncomponents:\n  - ../../components/proxy\nnamespace: prod\n',
    'gitops-flow.yaml': `order: [dev, prod]
environments:
  dev: {overlay: kustomize/envs/dev}
  prod: {overlay: kustomize/envs/prod}
`,
  },
};

const patches: Shape = {
  env: 'dev',
  to: 'uat',
  image: 'registry.example.com/team/worker:2.1.0',
  files: {
    'kustomizations/base/kustomization.yaml': 'resources:\n- web.yaml\n- worker.yaml\n',
    'kustomizations/base/web.yaml': deployment('web', 'registry.example.com/team/web:1.0.0'),
    'kustomizations/base/worker.yaml': deployment('worker', 'registry.example.com/team/worker:1.0.0'),
    // The worker's image comes from a patch file; web's from an inline patch.
    'kustomizations/overlays/dev/kustomization.yaml': `resources:
- ../../base
patches:
- path: worker-image.yaml
- patch: |-
    - op: replace
      path: /spec/template/spec/containers/0/image
      value: registry.example.com/team/web:1.5.0
  target:
    kind: Deployment
    name: web
`,
    'kustomizations/overlays/dev/worker-image.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  template:
    spec:
      containers:
      - name: worker
        image: registry.example.com/team/worker:2.0.0
`,
    'kustomizations/overlays/uat/kustomization.yaml': 'resources:\n- ../../base\n',
  },
};

const replacements: Shape = {
  env: 'dev',
  image: 'web=registry.example.com/team/web:9.9.9',
  files: {
    'kustomizations/base/kustomization.yaml': 'resources:\n- deployment.yaml\n',
    'kustomizations/base/deployment.yaml': deployment('web', 'web'),
    // The image comes from a ConfigMap through a replacement, after images: would apply.
    'kustomizations/overlays/dev/kustomization.yaml': `resources:
- ../../base
configMapGenerator:
- name: release
  literals:
  - image=registry.example.com/team/web:3.0.0
generatorOptions:
  disableNameSuffixHash: true
replacements:
- source:
    kind: ConfigMap
    name: release
    fieldPath: data.image
  targets:
  - select:
      kind: Deployment
      name: web
    fieldPaths:
    - spec.template.spec.containers.[name=web].image
`,
  },
};

const baseImages: Shape = {
  env: 'dev',
  to: 'prod',
  image: 'registry.example.com/team/web=registry.example.com/team/web:2.0.0',
  files: {
    'kustomizations/base/kustomization.yaml':
      'resources:\n- deployment.yaml\nimages:\n- name: web\n  newName: registry.example.com/team/web\n  newTag: 1.0.0\n',
    'kustomizations/base/deployment.yaml': deployment('web', 'web'),
    'kustomizations/overlays/dev/kustomization.yaml': 'resources:\n- ../../base\nnamespace: dev\n',
    'kustomizations/overlays/prod/kustomization.yaml': 'resources:\n- ../../base\nnamespace: prod\n',
  },
};

const nested: Shape = {
  env: 'memorystore',
  to: undefined,
  image: 'cart=registry.example.com/shop/cart:2.0.0',
  files: {
    'kustomize/kustomization.yaml':
      'resources:\n- base\nimages:\n- name: cart\n  newName: registry.example.com/shop/cart\n  newTag: 1.0.0\n',
    'kustomize/base/kustomization.yaml': 'resources:\n- cart.yaml\n- redis.yaml\n',
    'kustomize/base/cart.yaml': deployment('cart', 'cart'),
    'kustomize/base/redis.yaml': deployment('redis', 'redis:7.2'),
    'kustomize/tests/memorystore/kustomization.yaml': `resources:
- ../../base
patches:
- patch: |-
    $patch: delete
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: redis
images:
- name: cart
  newName: registry.example.com/shop/cart
  newTag: 1.0.0
`,
    'gitops-flow.yaml': `order: [default, memorystore]
environments:
  default: {overlay: kustomize}
  memorystore: {overlay: kustomize/tests/memorystore}
`,
  },
};

const sharedBase: Shape = {
  env: 'dev',
  to: 'uat',
  image: 'api=registry.example.com/team/api:1.1.0',
  files: {
    'base/api/kustomization.yaml': 'resources:\n- deployment.yaml\n',
    'base/api/deployment.yaml': deployment('api', 'api'),
    'base/neo4j/kustomization.yaml': 'resources:\n- statefulset.yaml\n- backup.yaml\n',
    'base/neo4j/statefulset.yaml': deployment('neo4j', 'neo4j:5.20').replace('kind: Deployment', 'kind: StatefulSet'),
    'base/neo4j/backup.yaml': `apiVersion: batch/v1
kind: CronJob
metadata:
  name: neo4j-backup
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: backup
            image: neo4j-backup:1.0
`,
    ...Object.fromEntries(
      ['dev', 'uat', 'prod'].map((env) => [
        `envs/${env}/kustomization.yaml`,
        `resources:\n- ../../base/api\n- ../../base/neo4j\nnamespace: ${env}\nimages:\n- name: api\n  newName: registry.example.com/team/api\n  newTag: 1.0.0\n`,
      ]),
    ),
    'gitops-flow.yaml': 'overlaysDir: envs\n',
  },
};

const fileNames: Shape = {
  env: 'dev',
  to: 'uat',
  image: 'web=registry.example.com/team/web:1.3.0',
  files: {
    'kustomizations/base/Kustomization': 'resources:\n- deployment.yaml\n',
    'kustomizations/base/deployment.yaml': deployment('web', 'web'),
    'kustomizations/overlays/dev/kustomization.yml':
      'resources:\n- ../../base\nimages:\n- name: web\n  newName: registry.example.com/team/web\n  newTag: 1.2.0\n',
    'kustomizations/overlays/uat/Kustomization':
      'resources:\n- ../../base\nimages:\n- name: web\n  newName: registry.example.com/team/web\n  newTag: 1.1.0\n',
  },
};

const registries: Shape = {
  env: 'dev',
  to: 'prod',
  image: 'web=registry.dev.example.com/team/web:1.3.0',
  files: {
    'kustomizations/base/kustomization.yaml': 'resources:\n- deployment.yaml\n',
    'kustomizations/base/deployment.yaml': deployment('web', 'web'),
    'kustomizations/overlays/dev/kustomization.yaml':
      'resources:\n- ../../base\nimages:\n- name: web\n  newName: registry.dev.example.com/team/web\n  newTag: 1.2.0\n',
    'kustomizations/overlays/prod/kustomization.yaml':
      'resources:\n- ../../base\nimages:\n- name: web\n  # prod pulls from its own mirror\n  newName: registry.prod.example.com/team/web\n  newTag: 1.1.0\n',
  },
};

export const SHAPES = {
  compact,
  components,
  patches,
  replacements,
  baseImages,
  nested,
  sharedBase,
  fileNames,
  registries,
} satisfies Record<string, Shape>;

export type ShapeName = keyof typeof SHAPES;
