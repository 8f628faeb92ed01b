/** e2e fixtures: env repos whose namespaces are unique per test, and kubectl on the test clusters. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { type CliResult, cleanEnv, runBinary } from '../helpers/cli.js';
import { exampleFiles } from '../helpers/git-fixtures.js';

export const NEVER_READY = 'gitops-flow.test/never-ready';

/** The example env repo with namespaces `<id>-<env>`, so tests sharing a cluster do not collide. */
export function uniqueExample(overrides: Record<string, string | null> = {}): {
  files: Record<string, string>;
  ns: (env: string) => string;
} {
  const id = `t${randomBytes(3).toString('hex')}`;
  const files = exampleFiles();
  for (const env of ['dev', 'uat', 'prod']) {
    const key = `kustomizations/overlays/${env}/kustomization.yaml`;
    files[key] = (files[key] as string).replace(`namespace: pick-manager-${env}`, `namespace: ${id}-${env}`);
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null) delete files[k];
    else files[k] = v;
  }
  return { files, ns: (env) => `${id}-${env}` };
}

/** The environment the CLI gets in e2e: nothing but the pinned tools, a HOME and the kubeconfig. */
export function e2eEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return cleanEnv({ KUBECONFIG: inject('kubeconfig'), ...extra });
}

/** Runs the built CLI against the e2e clusters. */
export function gitopsFlow(argv: string[], cwd: string, extra: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runBinary(argv, { cwd, env: e2eEnv(extra) });
}

/** kubectl (the pinned one) on a test cluster context; returns stdout. */
export function kube(context: string, args: string[]): string {
  return execFileSync(inject('toolPaths').kubectl, ['--context', context, ...args], {
    env: e2eEnv(),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  }).trim();
}

/** The images the live Deployment's pod template runs, by container. */
export function liveImages(context: string, ns: string, name = 'pick-manager'): Record<string, string> {
  const d = JSON.parse(kube(context, ['-n', ns, 'get', 'deployment', name, '-o', 'json'])) as {
    spec: { template: { spec: { containers: { name: string; image: string }[] } } };
  };
  return Object.fromEntries(d.spec.template.spec.containers.map((c) => [c.name, c.image]));
}

/** A kustomize patch that keeps the Deployment's pods never Ready (kwok's stage skips the label). */
export function neverReadyPatch(deployment = 'pick-manager'): string {
  return `patches:
  - target: { kind: Deployment, name: ${deployment} }
    patch: |-
      - op: add
        path: /spec/template/metadata/labels/${NEVER_READY.replace('/', '~1')}
        value: "true"
      - op: replace
        path: /spec/progressDeadlineSeconds
        value: 8
`;
}

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';

/** The example repo with `extra` (YAML documents) added to the dev overlay, and optional dev config. */
export function withExtra(extra: string, devConfig = '{ cluster: { context: dev } }') {
  const ex = uniqueExample({
    'kustomizations/overlays/dev/extra.yaml': extra,
    'gitops-flow.yaml': `environments:\n  dev: ${devConfig}\n  uat: { cluster: { context: uat } }\n  prod: { cluster: { context: prod } }\n`,
  });
  ex.files[DEV] = (ex.files[DEV] as string).replace('  - ../../base', '  - ../../base\n  - extra.yaml');
  return ex;
}

/** Waits until `f` returns true (polling), for steps a test takes while the deploy runs. */
export async function until(f: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (f()) return;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A StatefulSet of 2 replicas, one container, as the e2e renders use it. */
export const statefulSetYaml = (name: string, image: string) => `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: ${name} }
spec:
  serviceName: ${name}
  replicas: 2
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec: { containers: [{ name: ${name}, image: "${image}" }] }
`;

/** A DaemonSet of one container. */
export const daemonSetYaml = (name: string, image: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: ${name} }
spec:
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec: { containers: [{ name: ${name}, image: "${image}" }] }
`;
