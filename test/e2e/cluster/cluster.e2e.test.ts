// Smoke test of the e2e cluster harness (global-setup.ts): the clusters answer,
// rollouts succeed or fail for real, clusters are isolated, and the pinned
// tools report the versions of ci/tools.json.
import { describe, expect, inject, it } from 'vitest';
import { CommandError, run } from '../../../src/cluster/proc.js';

const kubeconfig = inject('kubeconfig');
const contexts = inject('clusterContexts');
const tools = inject('toolPaths');
const versions = inject('toolVersions');
const [first, second] = contexts as [string, string];

function k(context: string, args: string[], input?: string) {
  return run(tools.kubectl, ['--kubeconfig', kubeconfig, '--context', context, ...args], { input, timeoutMs: 90_000 });
}

function deployment(
  name: string,
  namespace: string,
  opts: { replicas: number; neverReady?: boolean; image?: string; progressDeadlineSeconds?: number },
) {
  const labels: Record<string, string> = { app: name };
  if (opts.neverReady) labels['gitops-flow.test/never-ready'] = 'true';
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: opts.replicas,
      progressDeadlineSeconds: opts.progressDeadlineSeconds ?? 600,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: opts.image ?? 'registry.invalid/gitops-flow/app:1' }] },
      },
    },
  });
}

describe('e2e clusters', { timeout: 120_000 }, () => {
  it('has at least two contexts in one kubeconfig', () => {
    expect(contexts.length).toBeGreaterThanOrEqual(2);
    expect(contexts).toContain('dev');
    expect(contexts).toContain('uat');
  });

  it.each(contexts)('context %s answers and its nodes are Ready', async (ctx) => {
    expect((await k(ctx, ['get', '--raw', '/readyz'])).stdout.trim()).toBe('ok');
    const nodes = JSON.parse((await k(ctx, ['get', 'nodes', '-o', 'json'])).stdout) as {
      items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[];
    };
    expect(nodes.items.length).toBeGreaterThanOrEqual(1);
    for (const n of nodes.items) {
      expect(n.status.conditions.find((c) => c.type === 'Ready')?.status, n.metadata.name).toBe('True');
    }
    const server = JSON.parse((await k(ctx, ['version', '-o', 'json'])).stdout) as {
      serverVersion: { gitVersion: string };
    };
    expect(server.serverVersion.gitVersion).toBe(versions.kubernetes);
  });

  it('rolls out a Deployment with 2 replicas', async () => {
    const ns = 'smoke-ok';
    await k(first, ['create', 'namespace', ns]);
    await k(first, ['apply', '-f', '-'], deployment('web', ns, { replicas: 2 }));
    const out = await k(first, ['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s']);
    expect(out.stdout).toMatch(/successfully rolled out/);
    const d = JSON.parse((await k(first, ['get', 'deployment', 'web', '-n', ns, '-o', 'json'])).stdout) as {
      status: { availableReplicas?: number };
    };
    expect(d.status.availableReplicas).toBe(2);
  });

  it.each([
    ['labelled gitops-flow.test/never-ready', 'stuck-label', { neverReady: true }],
    [
      'whose image tag ends in never-ready',
      'stuck-image',
      { image: 'registry.invalid/gitops-flow/app:2.0.0-never-ready' },
    ],
  ] as const)('fails rollout status for pods %s', async (_what, name, extra) => {
    const ns = name;
    await k(first, ['create', 'namespace', ns]);
    await k(first, ['apply', '-f', '-'], deployment(name, ns, { replicas: 1, progressDeadlineSeconds: 5, ...extra }));
    const started = Date.now();
    const err = await k(first, ['rollout', 'status', `deployment/${name}`, '-n', ns, '--timeout=60s']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).stderr).toMatch(/exceeded its progress deadline/);
    expect(Date.now() - started).toBeLessThan(30_000);
    // Like a pod whose readiness probe never passes: scheduled, Running, Ready=False.
    const pods = JSON.parse((await k(first, ['get', 'pods', '-n', ns, '-o', 'json'])).stdout) as {
      items: {
        spec: { nodeName?: string };
        status: { phase: string; conditions?: { type: string; status: string; reason?: string }[] };
      }[];
    };
    expect(pods.items.length).toBe(1);
    const pod = pods.items[0];
    expect(pod?.spec.nodeName).toMatch(/^kwok-node-/);
    expect(pod?.status.phase).toBe('Running');
    expect(pod?.status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });
  });

  it('keeps clusters isolated', async () => {
    const ns = 'only-in-first';
    await k(first, ['create', 'namespace', ns]);
    await k(first, ['get', 'namespace', ns]);
    const err = await k(second, ['get', 'namespace', ns]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).stderr).toMatch(/NotFound|not found/);
  });

  it('uses the pinned kubectl and kustomize', async () => {
    const client = JSON.parse((await run(tools.kubectl, ['version', '--client', '-o', 'json'])).stdout) as {
      clientVersion: { gitVersion: string };
    };
    expect(client.clientVersion.gitVersion).toBe(versions.kubectl);
    expect((await run(tools.kustomize, ['version'])).stdout.trim()).toBe(versions.kustomize);
  });
});
