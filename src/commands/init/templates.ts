/**
 * The files `init` writes: the seed's layout (a base Deployment + HPA, one overlay per environment), a
 * commented gitops-flow.yaml and the env-repo CI wrappers: names in, `{ path: content }` out (the CI
 * wrappers read the packaged ci/tools.json for the published toolbox).
 */

import { readFileSync } from 'node:fs';
import { CONFIG_FILE, DEFAULT_OVERLAYS_DIR } from '../../core/config.js';
import { configSchema } from '../../core/config-schema.js';
import type { ImageRef } from '../../core/image-ref.js';
import { packageFile } from '../../core/package-root.js';

export interface Scaffold {
  app: string;
  image: ImageRef;
  envs: string[];
}

/** The image name the base Deployment uses and every overlay's `images:` replaces. */
export const IMAGE_PLACEHOLDER = 'application-image';

const BASE = 'kustomizations/base';

/** Every file of a new env repo, keyed by its path relative to the repo root. */
export function scaffoldFiles(s: Scaffold): Record<string, string> {
  const files: Record<string, string> = {
    [`${BASE}/namespace.yaml`]: namespace(s.app),
    [`${BASE}/deployment.yaml`]: deployment(s.app),
    [`${BASE}/hpa.yaml`]: hpa(s.app),
    [`${BASE}/kustomization.yaml`]: baseKustomization(),
  };
  for (const env of s.envs) files[`${DEFAULT_OVERLAYS_DIR}/${env}/kustomization.yaml`] = overlay(s, env);
  files[CONFIG_FILE] = config(s.envs);
  files['.gitlab-ci.yml'] = gitlabCi(s.envs);
  files['.gitignore'] =
    '# Rendered manifests and other local state of gitops-flow (CI keeps them as artifacts).\n.gitops-flow/\n';
  return files;
}

function namespace(app: string): string {
  return `# Renamed by each overlay's \`namespace:\` (kustomize renames the Namespace object too).
apiVersion: v1
kind: Namespace
metadata:
  name: ${app}
`;
}

function deployment(app: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}
  labels:
    app: ${app}
spec:
  replicas: 2
  # A rollout that makes no progress for this long fails \`gitops-flow deploy\` (which then restores).
  progressDeadlineSeconds: 120
  selector:
    matchLabels:
      app: ${app}
  template:
    metadata:
      labels:
        app: ${app}
    spec:
      containers:
        - name: app
          # A placeholder: each overlay's \`images:\` sets the real image (gitops-flow suggest/promote edit it).
          image: ${IMAGE_PLACEHOLDER}
          ports:
            - containerPort: 8080
          # The HPA scales on CPU utilization, which is measured against this request.
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
`;
}

function hpa(app: string): string {
  return `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: ${app}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: ${app}
  minReplicas: 2
  maxReplicas: 5
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 80
`;
}

function baseKustomization(): string {
  return `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - namespace.yaml
  - deployment.yaml
  - hpa.yaml
`;
}

function overlay(s: Scaffold, env: string): string {
  const lines = [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    `# The ${env} environment: the base, in its own namespace, with the images released to ${env}.`,
    `namespace: ${s.app}-${env}`,
    'resources:',
    '  - ../../base',
    '# Edited by `gitops-flow suggest` and `gitops-flow promote` (as `kustomize edit set image` would).',
    'images:',
    `  - name: ${IMAGE_PLACEHOLDER}`,
    `    newName: ${s.image.name}`,
  ];
  if (s.image.tag) lines.push(`    newTag: "${s.image.tag}"`);
  if (s.image.digest) lines.push(`    digest: ${s.image.digest}`);
  return `${lines.join('\n')}\n`;
}

/** Whether this version's config schema knows `environments.<env>.requireVerified`. */
export function schemaHasRequireVerified(): boolean {
  return configSchema.safeParse({ environments: { a: { requireVerified: true } } }).success;
}

function config(envs: string[]): string {
  const verified = schemaHasRequireVerified()
    ? '    requireVerified: true   # promote only images that a deploy verified in the source environment'
    : '    # requireVerified: true # promote only images a deploy verified in the source env (newer gitops-flow)';
  const lines = [
    '# gitops-flow configuration. Optional: without it, environments are the folders under',
    `# ${DEFAULT_OVERLAYS_DIR}/. Editors validate it with schema/gitops-flow.schema.json from gitops-flow.`,
    '',
    '# Promotion order: releases go from each environment to the next.',
    `order: [${envs.join(', ')}]`,
    'environments:',
  ];
  envs.forEach((env, i) => {
    lines.push(`  ${env}:`);
    if (i === 0)
      lines.push('    # kubeconfig context of the cluster; for GKE use `gke: { project, location, cluster }`');
    lines.push(`    cluster: { context: ${env} }`);
    if (i > 0) {
      lines.push(`    promoteFrom: ${envs[i - 1]}`);
      lines.push(verified);
    }
    if (i === envs.length - 1 && i > 0)
      lines.push('    verify: { timeout: 10m }  # how long to wait for every workload (default 5m)');
  });
  lines.push(
    'git:',
    '  targetBranch: main',
    '  mergeRequest:',
    '    autoMerge: auto_merge   # merge_when_pipeline_succeeds before GitLab 17.11',
    '    labels: [gitops-flow]',
    '',
    ...examplePipeline(envs),
  );
  return `${lines.join('\n')}\n`;
}

/** The example of pipelines and hooks in gitops-flow.yaml, commented out (a test uncomments and validates it). */
function examplePipeline(envs: string[]): string[] {
  // A pipeline expression, written out: `${{ inner }}`.
  const e = (inner: string) => '$' + `{{ ${inner} }}`;
  const first = envs[0] ?? 'dev';
  const last = envs.at(-1) ?? first;
  return [
    '# Pipelines and hooks: your own steps around the built-in ones, written like GitHub Actions steps',
    '# (docs/pipelines.md; gitops-flow pipelines show promote). A run: step is an argv list or a script',
    '# in this repo, never a shell line; it sees only the secrets it declares.',
    '#',
    `# A smoke test after every verified deploy of ${last} by promote: if it fails, the last good render is`,
    '# re-applied and nothing is pushed. (hooks: at the top level apply to every environment.)',
    '# environments:',
    `#   ${last}:`,
    '#     hooks:',
    '#       promote:',
    '#         after:',
    '#           verify:',
    '#             - name: smoke test',
    `#               run: [scripts/smoke-test.sh, '${e('environment.name')}']`,
    '#               timeout: 2m',
    '#               retries: 1',
    '#',
    `# A pipeline: gitops-flow run smoke-release --input env=${first}`,
    '# pipelines:',
    '#   smoke-release:',
    '#     description: deploy, smoke-test, and put the last good render back if the test fails',
    '#     inputs:',
    `#       env: { default: ${first} }`,
    `#     environment: '${e('inputs.env')}'`,
    '#     steps:',
    '#       - id: deploy',
    '#         uses: deploy',
    `#         with: { env: '${e('inputs.env')}' }`,
    '#       - name: smoke test',
    '#         run: scripts/smoke-test.sh',
    `#         env: { WORKLOADS: '${e('steps.deploy.outputs.workloads')}' }`,
    '#         secrets: [SMOKE_TOKEN]',
    '#       - uses: restore-last-good',
    '#         if: failure()',
  ];
}

/**
 * The toolbox image the components of this version default to: the one its release published (by
 * digest, ci/tools.json `published.toolbox`), else the CI/CD variable GITOPS_FLOW_IMAGE.
 */
function toolboxImage(): string {
  const m = JSON.parse(readFileSync(packageFile('ci/tools.json'), 'utf8')) as {
    published?: { toolbox?: string | null };
  };
  return m.published?.toolbox ?? '$GITOPS_FLOW_IMAGE';
}

/**
 * The GitLab deployment tier GitLab itself would give an environment of this name (its documented
 * patterns), which init writes where the components take a `deployment-tier` input.
 */
export function deploymentTier(env: string): string {
  if (/^(prod|production|live)/.test(env)) return 'production';
  if (/^(st(a|)g|model|pre|demo)/.test(env)) return 'staging';
  if (/^(test|qc|qa)/.test(env)) return 'testing';
  if (/^(dev|review|trunk)/.test(env)) return 'development';
  return 'other';
}

/**
 * The jobs of gitops-flow's GitLab CI/CD components (templates/deploy.yml, promote.yml, recover.yml)
 * written inline, so the env repo needs no access to the component project. For these environments:
 * merge requests deploy the first one; each later one is a manual promotion from the one before; every
 * one has manual rollback and restore jobs. Each job names its GitLab environment and holds the env's
 * resource group, so two jobs never change one environment at once. (A test keeps this equal to the
 * components' jobs.)
 */
export function gitlabCi(envs: string[]): string {
  const [first, ...rest] = envs;
  const checkout = '    - git checkout -B "$CI_DEFAULT_BRANCH" "origin/$CI_DEFAULT_BRANCH"';
  const job = (
    name: string,
    env: string,
    stage: string,
    script: string[],
    manual: boolean,
    recover = false,
  ): string[] => [
    '',
    `${name}:`,
    '  extends: .gitops-flow',
    ...(recover ? ['  variables: { GIT_DEPTH: 0 }'] : []),
    `  stage: ${stage}`,
    ...(recover ? ['  needs: []'] : []),
    `  environment: { name: ${env}, action: start, url: $GITOPS_FLOW_ENVIRONMENT_URL, deployment_tier: ${deploymentTier(env)} }`,
    `  resource_group: ${env}`,
    '  script:',
    ...script,
    '  rules:',
    ...(manual
      ? ['    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH', '      when: manual', '      allow_failure: true']
      : ['    - if: $CI_PIPELINE_SOURCE == "merge_request_event"']),
  ];
  const out = [
    "# gitops-flow CI wrappers (the jobs of gitops-flow's CI/CD components deploy, promote, recover). Merge requests",
    `# opened by \`gitops-flow suggest\` deploy ${first} in their pipeline (GitLab merges them when it succeeds);`,
    '# later environments are promoted by hand from the default branch. Set these CI/CD variables:',
    '# GITOPS_FLOW_IMAGE (an image with gitops-flow and the pinned tools), cluster credentials (KUBECONFIG as',
    '# a file variable, or GKE through gcloud) and GITOPS_FLOW_GIT_TOKEN (a token that may push).',
    '# Rollback and restore are manual jobs; run them with the variables GITOPS_FLOW_AT (restore: a commit or',
    '# an ISO-8601 time), GITOPS_FLOW_TO (rollback: a commit, default the previous release), GITOPS_FLOW_REASON;',
    '# they need no earlier job, so they can always be played. Manual jobs never block the pipeline.',
    'stages: [deploy, promote, recover]',
    '',
    '.gitops-flow:',
    `  image: ${toolboxImage()}`,
    '  artifacts:',
    '    when: always',
    '    expire_in: 1 week',
    '    access: developer',
    '    paths: [.gitops-flow/rendered/]',
    '    reports:',
    '      dotenv: .gitops-flow/deploy.env',
    ...job(
      `deploy-${first}`,
      first as string,
      'deploy',
      [`    - gitops-flow deploy --env ${first} --ref "$CI_COMMIT_SHA"`],
      false,
    ),
  ];
  rest.forEach((env, i) => {
    out.push(
      ...job(
        `promote-${env}`,
        env,
        'promote',
        [checkout, `    - gitops-flow promote --from ${envs[i]} --to ${env}`],
        true,
      ),
    );
  });
  for (const env of envs) {
    out.push(
      ...job(
        `rollback-${env}`,
        env,
        'recover',
        [
          checkout,
          `    - gitops-flow rollback --env ${env} \${GITOPS_FLOW_TO:+--to "$GITOPS_FLOW_TO"} --reason "\${GITOPS_FLOW_REASON:-pipeline $CI_PIPELINE_ID}"`,
        ],
        true,
        true,
      ),
    );
  }
  for (const env of envs) {
    out.push(
      ...job(
        `restore-${env}`,
        env,
        'recover',
        [checkout, `    - gitops-flow restore --env ${env} --at "$GITOPS_FLOW_AT"`],
        true,
        true,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
