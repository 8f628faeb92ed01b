/** kubectl, the pinned binary found on PATH; one function per operation. */
import type { Logger } from '../core/io.js';
import { type ExecResult, exec } from './exec.js';

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

/**
 * Is the cluster of `context` (default: the current one) reachable and ready? `kubectl get --raw /readyz`
 * with the kubectl at `path`: exit 0, or kubectl's last line of stderr saying why not.
 */
export async function clusterReady(
  path: string,
  context: string | undefined,
  o: { cwd: string; env: NodeJS.ProcessEnv; log: Logger; requestTimeout: string; timeoutMs: number },
): Promise<{ ok: boolean; why: string }> {
  const argv = [
    path,
    ...(context ? ['--context', context] : []),
    'get',
    '--raw',
    '/readyz',
    `--request-timeout=${o.requestTimeout}`,
  ];
  const r = await exec(argv, { cwd: o.cwd, env: o.env, log: o.log, allowFailure: true, timeoutMs: o.timeoutMs }).catch(
    (err: Error) => ({ stdout: '', stderr: err.message, exitCode: 1 }),
  );
  return {
    ok: r.exitCode === 0,
    why: r.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `kubectl exited with ${r.exitCode}`,
  };
}
