/**
 * Verification scenarios of `npm run bench`: how soon a crash-looping pod is reported after its second
 * restart (fail fast), and a render of 200 objects verified — time and watch connections — beside the
 * raw floor (kubectl apply, then kubectl get polled until every Deployment is available).
 */
import { spawn } from 'node:child_process';
import { CLI, must, repoWithRemote, run } from './lib.js';

const OVERLAY = 'kustomizations/overlays/dev';

function repo(ns: string, context: string, resources: string): Record<string, string> {
  return {
    [`${OVERLAY}/kustomization.yaml`]: `resources:\n  - objects.yaml\nnamespace: ${ns}\n`,
    [`${OVERLAY}/objects.yaml`]: resources,
    'gitops-flow.yaml': `environments:\n  dev: { cluster: { context: ${context} } }\n`,
    '.gitignore': '.gitops-flow/\n',
  };
}

const deployment = (name: string, image: string, replicas = 1) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec: { containers: [{ name: main, image: "${image}" }] }
`;

/**
 * Deploys a render whose Deployment crash-loops (kwok restarts it every second); returns the time from
 * the second restart (seen by an independent watch) to gitops-flow's line naming it.
 */
export async function crashReportOnce(context: string, env: NodeJS.ProcessEnv, id: string): Promise<number> {
  const ns = `crash-${id}`;
  const { clone } = repoWithRemote(
    repo(
      ns,
      context,
      `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n---\n${deployment('api', 'app:1-crash-loop')}`,
    ),
  );
  let secondRestart = 0;
  const watch = spawn(
    'kubectl',
    [
      '--context',
      context,
      'get',
      'pods',
      '-n',
      ns,
      '--watch',
      '-o',
      'jsonpath={.status.containerStatuses[0].restartCount}{"\\n"}',
    ],
    { env, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  watch.stdout.on('data', (b: Buffer) => {
    const now = performance.now();
    if (
      !secondRestart &&
      b
        .toString()
        .split('\n')
        .some((l) => Number(l) >= 2)
    )
      secondRestart = now;
  });
  let reported = 0;
  try {
    const child = spawn(process.execPath, [CLI, '-C', clone, 'deploy', '--env', 'dev', '--timeout', '2m'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (b: Buffer) => {
      if (!reported && /CrashLoopBackOff \(restarted/.test(b.toString())) reported = performance.now();
    });
    const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? 1)));
    if (code !== 1 || !reported) throw new Error(`crash-loop deploy: exit ${code}, reported: ${Boolean(reported)}`);
  } finally {
    watch.kill('SIGKILL');
    // Crash-looping pods left running restart every second and load the control plane for the
    // scenarios after this one: delete them (not timed).
    await run(['kubectl', '--context', context, 'delete', 'namespace', ns, '--wait=false'], { env });
  }
  if (!secondRestart) throw new Error('the independent watch never saw the second restart');
  return reported - secondRestart;
}

/** 200 objects: 50 Deployments, 50 Services, 100 ConfigMaps. */
function manyObjects(ns: string): string {
  const docs = [`apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n`];
  for (let i = 0; i < 50; i++) {
    docs.push(deployment(`svc-${i}`, `app-${i}:1`));
    docs.push(
      `apiVersion: v1\nkind: Service\nmetadata: { name: svc-${i} }\nspec:\n  selector: { app: svc-${i} }\n  ports: [{ port: 80 }]\n`,
    );
    docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata: { name: svc-${i}-a }\ndata: { a: "1" }\n`);
    docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata: { name: svc-${i}-b }\ndata: { b: "1" }\n`);
  }
  return docs.join('---\n');
}

export interface ManySample {
  gitopsFlowMs: number;
  floorMs: number;
  objects: number;
  connections: number;
}

/** Deploys 200 objects with gitops-flow and, into another namespace, with the raw commands. */
export async function manyObjectsOnce(context: string, env: NodeJS.ProcessEnv, id: string): Promise<ManySample> {
  const { clone } = repoWithRemote(repo(`many-${id}`, context, manyObjects(`many-${id}`)));
  const g = await must(
    run([process.execPath, CLI, '-C', clone, '--verbose', 'deploy', '--env', 'dev', '--timeout', '5m'], { env }),
    'deploy of 200 objects',
  );
  const m = /verified (\d+) object\(s\) over (\d+) watch connection\(s\)/.exec(g.stderr);
  // The node holds 110 pods: gitops-flow's 50 must go before the floor's 50 are scheduled (not timed).
  await run(['kubectl', '--context', context, 'delete', 'namespace', `many-${id}`, '--timeout=2m'], { env });
  // The floor: the same objects applied, then kubectl get until every Deployment is available.
  const ns = `many-${id}-floor`;
  const floorRepo = repoWithRemote(repo(ns, context, manyObjects(ns)));
  const start = performance.now();
  const built = await must(run(['kustomize', 'build', `${floorRepo.clone}/${OVERLAY}`], { env }), 'kustomize build');
  await must(
    run(['kubectl', '--context', context, 'apply', '--server-side', '-f', '-'], { env, input: built.stdout }),
    'kubectl apply',
  );
  // Polled, not watched: `kubectl wait --for=condition=Available` (and 50 parallel `rollout status`)
  // hung here until their timeout although every Deployment was available; a script's poll does not.
  let available = 0;
  while (performance.now() - start < 120_000) {
    const r = await run(
      [
        'kubectl',
        '--context',
        context,
        '-n',
        ns,
        'get',
        'deployments',
        '-o',
        'jsonpath={.items[*].status.availableReplicas}',
      ],
      { env },
    );
    available = r.stdout.split(' ').filter((x) => x === '1').length;
    if (r.code === 0 && available === 50) break;
  }
  const floorMs = performance.now() - start;
  await run(['kubectl', '--context', context, 'delete', 'namespace', ns, '--timeout=2m'], { env });
  if (available !== 50)
    throw new Error(`floor: ${available} of 50 Deployments available after ${Math.round(floorMs / 1000)} s`);
  return { gitopsFlowMs: g.ms, floorMs, objects: Number(m?.[1] ?? 0), connections: Number(m?.[2] ?? 0) };
}
