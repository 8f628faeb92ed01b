/** kubectl, the pinned binary found on PATH; one function per operation. */
import type { Logger } from '../core/io.js';
import type { Workload } from '../core/workloads.js';
import { type ExecResult, exec, execLines, type StreamHandle } from './exec.js';

export interface ClusterTarget {
  /** kubeconfig context; undefined: the current context. */
  context?: string;
  /** Namespace for objects without one. */
  namespace?: string;
}

export interface KubectlContext {
  env: NodeJS.ProcessEnv;
  log: Logger;
  cwd: string;
  dryRun?: boolean;
}

function targetArgs(t: ClusterTarget, namespace = t.namespace): string[] {
  const args: string[] = [];
  if (t.context) args.push('--context', t.context);
  if (namespace) args.push('--namespace', namespace);
  return args;
}

/** Runs `kubectl <args>` against the target. */
export function kubectl(
  args: string[],
  t: ClusterTarget,
  ctx: KubectlContext,
  extra: { input?: string; allowFailure?: boolean; timeoutMs?: number; namespace?: string } = {},
): Promise<ExecResult> {
  return exec(['kubectl', ...targetArgs(t, extra.namespace ?? t.namespace), ...args], {
    cwd: ctx.cwd,
    env: ctx.env,
    log: ctx.log,
    ...extra,
  });
}

/**
 * Server-side applies the manifest file as field manager `gitops-flow`. In dry-run the API server
 * validates it (`--dry-run=server`) and nothing is persisted.
 */
export async function apply(
  file: string,
  t: ClusterTarget,
  ctx: KubectlContext,
  dryRun: 'server' | 'client' = 'server',
): Promise<string[]> {
  const serverSide = !ctx.dryRun || dryRun === 'server';
  const args = [
    'apply',
    ...(serverSide ? ['--server-side', '--field-manager=gitops-flow', '--force-conflicts'] : []),
    '-f',
    file,
    '-o',
    'name',
  ];
  if (ctx.dryRun) args.push(`--dry-run=${dryRun}`);
  const r = await kubectl(args, t, ctx);
  return r.stdout.split('\n').filter(Boolean);
}

/**
 * kubectl's words for an API server it cannot reach right now (stopped, restarting, not serving yet),
 * as opposed to one that answered and refused: worth retrying while time is left.
 */
const TRANSIENT =
  /connection refused|was refused - did you specify|Unable to connect to the server|the server is currently unable to handle the request|\(ServiceUnavailable\)|TLS handshake timeout|connection reset by peer|http2: client connection lost|unexpected EOF|watch closed before/i;

/** Does kubectl's output say the API server could not be reached (a retry may succeed)? */
export function isUnreachable(output: string): boolean {
  return TRANSIENT.test(output);
}

/** The words in kubectl's output that say why the API server could not be reached, e.g. `connection refused`. */
export function unreachableReason(output: string): string {
  return TRANSIENT.exec(output)?.[0] ?? '';
}

/**
 * Waits (watch-based) until the workload's rollout completes; resolves false with kubectl's message
 * when not, and `unreachable` when that was because the API server could not be reached.
 */
export async function rolloutStatus(
  w: Workload,
  timeoutMs: number,
  t: ClusterTarget,
  ctx: KubectlContext,
): Promise<{ ok: boolean; message: string; unreachable: boolean }> {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const r = await kubectl(
    ['rollout', 'status', `${w.kind.toLowerCase()}/${w.name}`, '--watch=true', `--timeout=${seconds}s`],
    t,
    ctx,
    {
      allowFailure: true,
      timeoutMs: timeoutMs + 15_000,
      ...(w.namespace && { namespace: w.namespace }),
    },
  );
  const text = `${r.stdout}\n${r.stderr}`.trim();
  return {
    ok: r.exitCode === 0,
    message: text.split('\n').filter(Boolean).at(-1) ?? '',
    unreachable: r.exitCode !== 0 && isUnreachable(text),
  };
}

/**
 * Watches one object (`kubectl get <kind>/<name> --watch --output-watch-events -o json`: one JSON event
 * per line) and calls `onObject` with the object on every change. The caller stops the watch; `maxMs`
 * ends it anyway (--request-timeout), so a watch orphaned by a killed gitops-flow does not run on.
 */
export function watchObject(
  p: { ref: string; namespace?: string; maxMs: number },
  t: ClusterTarget,
  ctx: KubectlContext,
  onObject: (o: Record<string, unknown>) => void,
): StreamHandle {
  const seconds = Math.max(1, Math.ceil(p.maxMs / 1000));
  const argv = [
    'kubectl',
    ...targetArgs(t, p.namespace ?? t.namespace),
    'get',
    p.ref,
    '--watch',
    '--output-watch-events',
    '-o',
    'json',
    `--request-timeout=${seconds}s`,
  ];
  return execLines(argv, { cwd: ctx.cwd, env: ctx.env, log: ctx.log }, (line) => {
    try {
      const event = JSON.parse(line) as { type?: string; object?: Record<string, unknown> };
      if (event.object && event.type !== 'DELETED' && event.type !== 'ERROR') onObject(event.object);
    } catch {
      // Not an event line (kubectl prints only events with these flags): ignore it.
    }
  });
}

/** `kubectl get <args> -o json` parsed. */
export async function getJson<T>(
  args: string[],
  t: ClusterTarget,
  ctx: KubectlContext,
  namespace?: string,
): Promise<T> {
  const r = await kubectl(['get', ...args, '-o', 'json'], t, ctx, namespace ? { namespace } : {});
  return JSON.parse(r.stdout) as T;
}

/** The version kubectl reports for itself, e.g. v1.36.3. */
export async function clientVersion(ctx: KubectlContext): Promise<string> {
  const r = await exec(['kubectl', 'version', '--client', '-o', 'json'], { cwd: ctx.cwd, env: ctx.env, log: ctx.log });
  return (JSON.parse(r.stdout) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
}
