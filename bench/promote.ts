/**
 * Verified promote dev → uat, three ways side by side on the same local control plane:
 * gitops-flow, the seed's own recipe (sleep 4, then rollout status retried 6× with 10 s sleeps), and
 * the raw floor (the same commands, no sleep, one blocking rollout status).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { git, gitopsFlow, must, repoWithRemote, run, sleep } from './lib.js';

export type Variant = 'gitops-flow' | 'seed' | 'floor';

export interface PromoteSample {
  variant: Variant;
  delayMs: number;
  ms: number;
  /** Last pod Ready (as seen by a watch) → command returned. */
  detectionMs: number;
}

const OVERLAY = (env: string) => `kustomizations/overlays/${env}`;

export function envRepoFiles(ns: string, context: string): Record<string, string> {
  const overlay = (env: string, tag: string) =>
    `resources:\n  - ../../base\nnamespace: ${ns}-${env}\nimages:\n  - name: application-image\n    newName: registry.example.com/team/app\n    newTag: "${tag}"\n`;
  return {
    'kustomizations/base/kustomization.yaml': 'resources:\n  - namespace.yaml\n  - deployment.yaml\n',
    'kustomizations/base/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n',
    'kustomizations/base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: pick-manager }
spec:
  replicas: 2
  selector: { matchLabels: { app: pick-manager } }
  template:
    metadata: { labels: { app: pick-manager } }
    spec:
      containers:
        - { name: app, image: application-image }
`,
    [`${OVERLAY('dev')}/kustomization.yaml`]: overlay('dev', '1.4.2'),
    [`${OVERLAY('uat')}/kustomization.yaml`]: overlay('uat', '1.0.0'),
    'gitops-flow.yaml': `environments:\n  dev: { cluster: { context: ${context} } }\n  uat: { cluster: { context: ${context} }, promoteFrom: dev }\n`,
    '.gitignore': '.gitops-flow/\ntarget.yaml\n',
  };
}

/** Watches the namespace's pods and remembers when each became Ready (local clock). */
function watchReady(
  context: string,
  ns: string,
  env: NodeJS.ProcessEnv,
): { lastReady: () => number; stop: () => void } {
  const ready = new Map<string, number>();
  const child = spawn(
    'kubectl',
    [
      '--context',
      context,
      '-n',
      ns,
      'get',
      'pods',
      '--watch',
      '-o',
      'jsonpath={.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}',
    ],
    { env, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let buf = '';
  child.stdout.on('data', (b: Buffer) => {
    const now = performance.now();
    buf += b.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const line of lines) {
      const [pod, status] = line.trim().split(' ');
      if (pod && status === 'True' && !ready.has(pod)) ready.set(pod, now);
    }
  });
  return { lastReady: () => Math.max(...ready.values()), stop: () => child.kill('SIGKILL') };
}

/** One verified promotion with the given variant into a fresh namespace; returns its timings. */
export async function promoteOnce(
  variant: Variant,
  delayMs: number,
  context: string,
  env: NodeJS.ProcessEnv,
  id: string,
  cli?: string,
): Promise<PromoteSample> {
  const ns = `b${id}`;
  const { clone } = repoWithRemote(envRepoFiles(ns, context));
  const watch = watchReady(context, `${ns}-uat`, env);
  await sleep(300); // let the watch connect
  const start = performance.now();
  try {
    if (variant === 'gitops-flow') {
      await must(
        gitopsFlow(['-C', clone, 'promote', '--from', 'dev', '--to', 'uat', '--timeout', '2m'], {
          env,
          ...(cli && { cli }),
        }),
        'gitops-flow promote',
      );
    } else {
      await recipe(variant, clone, context, `${ns}-uat`, env);
    }
    const end = performance.now();
    return { variant, delayMs, ms: end - start, detectionMs: end - watch.lastReady() };
  } finally {
    watch.stop();
  }
}

/** The seed's commands (or the floor: the same without the sleeps and retries). */
async function recipe(
  variant: 'seed' | 'floor',
  clone: string,
  context: string,
  ns: string,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const dev = parse(readFileSync(join(clone, OVERLAY('dev'), 'kustomization.yaml'), 'utf8')) as {
    images: { name: string; newName: string; newTag: string }[];
  };
  const image = dev.images.find((i) => i.name === 'application-image');
  const uat = join(clone, OVERLAY('uat'));
  await must(
    run(['kustomize', 'edit', 'set', 'image', `application-image=${image?.newName}:${image?.newTag}`], {
      cwd: uat,
      env,
    }),
    'kustomize edit',
  );
  git(clone, ['commit', '--quiet', '-am', `${image?.newTag} promoted to UAT`]);
  const built = await must(run(['kustomize', 'build', '.'], { cwd: uat, env }), 'kustomize build');
  await must(
    run(['kubectl', '--context', context, 'apply', '-f', '-'], { cwd: uat, env, input: built.stdout }),
    'kubectl apply',
  );
  if (variant === 'seed') {
    await sleep(4000);
    for (let i = 0; i < 6; i++) {
      const r = await run(
        ['kubectl', '--context', context, '-n', ns, 'rollout', 'status', 'deployment', 'pick-manager'],
        { env },
      );
      if (r.code === 0) break;
      await sleep(10_000);
    }
  } else {
    await must(
      run(['kubectl', '--context', context, '-n', ns, 'rollout', 'status', 'deployment/pick-manager'], { env }),
      'rollout status',
    );
  }
  git(clone, ['push', '--quiet', 'origin', 'main']);
}
