/**
 * The Kubernetes API in-process: the same kubeconfig kubectl reads (KUBECONFIG or ~/.kube/config, the
 * env's context), credentials from @kubernetes/client-node (client certificates, tokens, exec plugins
 * such as gke-gcloud-auth-plugin), requests over one keep-alive agent so a deploy opens a handful of
 * connections instead of a kubectl process per object. One function per operation.
 */
import { existsSync } from 'node:fs';
import https from 'node:https';
import type { ClusterTarget } from './kubectl.js';

export interface KubeApiError extends Error {
  status?: number;
  /** The API server could not be reached (or is not serving): worth retrying while time is left. */
  unreachable: boolean;
}

export interface WatchHandle {
  stop(): void;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  raw?: boolean;
  /** Collects the messages of the response's Warning headers (deprecated APIs, for one). */
  warnings?: string[];
}

export interface KubeApi {
  /** The namespace of objects that name none: the env's, else the context's, else `default`. */
  namespace: string;
  /** The server URL, for messages. */
  server: string;
  /** JSON in, JSON out (`raw`: the body as text); throws a KubeApiError on any status but 2xx. */
  request<T>(method: string, path: string, o?: RequestOptions): Promise<T>;
  /** Streams watch events of `path` (a list path with `?watch=1&…`) until stopped or the server ends it. */
  watch(path: string, onEvent: (e: WatchEvent) => void, onEnd: (err?: KubeApiError) => void): WatchHandle;
  /** The resource name and scope of a kind (discovery, cached per group-version); undefined if unknown. */
  resourceOf(apiVersion: string, kind: string): Promise<{ plural: string; namespaced: boolean } | undefined>;
  close(): void;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

function apiError(message: string, status: number | undefined, unreachable: boolean): KubeApiError {
  return Object.assign(new Error(message), { status, unreachable });
}

let client: Promise<typeof import('@kubernetes/client-node/dist/config.js')> | undefined;

/**
 * Loads the client library (1.5 MB, ~50 ms of compiling) once; only deploys pay for it. A release
 * that will deploy starts it at once, so that with a remote origin it compiles while git fetches
 * (neutral when origin is a local path: nothing to wait for).
 */
export function preloadKubeClient(): Promise<typeof import('@kubernetes/client-node/dist/config.js')> {
  client ??= import('@kubernetes/client-node/dist/config.js');
  return client;
}

/** Connects to the env's cluster as kubectl would (`env` carries KUBECONFIG and HOME). */
export async function connectKube(target: ClusterTarget, env: NodeJS.ProcessEnv): Promise<KubeApi> {
  const { KubeConfig } = await preloadKubeClient();
  const kc = new KubeConfig();
  const listed = (env.KUBECONFIG ?? '').split(':').filter(Boolean);
  // kubectl's merge of a KUBECONFIG list: files that do not exist are skipped, the first file to name
  // a cluster, user or context wins, and so does the first current-context (client-node's mergeConfig
  // would take the last one's, so an env without a context would reach another cluster than kubectl).
  const files = listed.length > 1 ? listed.filter((f) => existsSync(f)) : listed;
  if (files.length === 0 && listed.length === 0 && env.HOME) files.push(`${env.HOME}/.kube/config`);
  kc.loadFromFile((files[0] ?? listed[0]) as string);
  for (const f of files.slice(1)) {
    const more = new KubeConfig();
    more.loadFromFile(f);
    const has = (list: { name: string }[], name: string) => list.some((x) => x.name === name);
    for (const c of more.clusters) if (!has(kc.clusters, c.name)) kc.addCluster(c);
    for (const u of more.users) if (!has(kc.users, u.name)) kc.addUser(u);
    for (const c of more.contexts) if (!has(kc.contexts, c.name)) kc.addContext(c);
    if (!kc.currentContext && more.currentContext) kc.setCurrentContext(more.currentContext);
  }
  if (target.context) kc.setCurrentContext(target.context);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw apiError(`no cluster for context ${target.context ?? kc.getCurrentContext()}`, undefined, false);
  const context = kc.getContextObject(kc.getCurrentContext());
  const base = new URL(cluster.server);
  const tls: https.AgentOptions & { headers?: Record<string, string> } = {};
  await kc.applyToHTTPSOptions(tls as https.RequestOptions);
  const agent = new https.Agent({
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    ...(cluster.skipTLSVerify && { rejectUnauthorized: false }),
    ...(cluster.tlsServerName && { servername: cluster.tlsServerName }),
    keepAlive: true,
  });
  /** Headers per request: an exec plugin's token may be refreshed between requests. */
  const headers = async (): Promise<Record<string, string>> => {
    const o: { headers?: Record<string, string> } = {};
    await kc.applyToHTTPSOptions(o as https.RequestOptions);
    return { ...(o.headers ?? {}), Accept: 'application/json' };
  };

  const send = async (
    method: string,
    path: string,
    body: string | undefined,
    contentType: string,
  ): Promise<{ status: number; res: import('node:http').IncomingMessage }> => {
    const h = await headers();
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(base.pathname.replace(/\/$/, '') + path, base),
        {
          method,
          agent,
          // Content-Length always: Node does not chunk a DELETE's body, and an unframed body would be
          // read by the server as the start of the next request on this keep-alive connection.
          headers: {
            ...h,
            ...(body !== undefined && { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) }),
          },
        },
        (res) => resolve({ status: res.statusCode ?? 0, res }),
      );
      req.on('error', (e: NodeJS.ErrnoException) =>
        reject(apiError(`${method} ${path}: ${e.code ?? e.message}`, undefined, UNREACHABLE_CODES.has(e.code ?? ''))),
      );
      req.end(body);
    });
  };

  const readAll = (res: import('node:http').IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });

  const discovery = new Map<string, Promise<{ name: string; kind: string; namespaced: boolean }[]>>();
  const api: KubeApi = {
    namespace: target.namespace ?? context?.namespace ?? 'default',
    server: cluster.server,
    async request<T>(method: string, path: string, o: RequestOptions = {}) {
      const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      const { status, res } = await send(method, path, body, o.contentType ?? 'application/json');
      if (o.warnings) o.warnings.push(...warningsOf(res.headers.warning));
      const text = await readAll(res);
      if (status >= 200 && status < 300) return (o.raw ? text : text ? JSON.parse(text) : {}) as T;
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // not a Status object: keep the text
      }
      throw apiError(`${method} ${path}: ${status} ${message}`, status, status === 503);
    },
    watch(path, onEvent, onEnd) {
      let stopped = false;
      let res: import('node:http').IncomingMessage | undefined;
      const end = (err?: KubeApiError) => {
        if (stopped) return;
        stopped = true;
        onEnd(err);
      };
      send('GET', path, undefined, '')
        .then(({ status, res: r }) => {
          res = r;
          if (stopped) return r.destroy();
          if (status !== 200) {
            readAll(r).then(
              (t) => end(apiError(`watch ${path}: ${status} ${t.slice(0, 300)}`, status, status === 503)),
              () => end(apiError(`watch ${path}: ${status}`, status, true)),
            );
            return;
          }
          let buf = '';
          r.setEncoding('utf8');
          r.on('data', (d: string) => {
            buf += d;
            let nl = buf.indexOf('\n');
            while (nl >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              nl = buf.indexOf('\n');
              if (!line.trim() || stopped) continue;
              try {
                onEvent(JSON.parse(line) as WatchEvent);
              } catch {
                // A line cut by a closed connection: the relist that follows recovers its state.
              }
            }
          });
          r.on('end', () => end());
          r.on('error', (e: NodeJS.ErrnoException) => end(apiError(`watch ${path}: ${e.message}`, undefined, true)));
          r.on('close', () => end());
        })
        .catch((e: KubeApiError) => end(e));
      return {
        stop: () => {
          stopped = true;
          res?.destroy();
        },
      };
    },
    async resourceOf(apiVersion, kind) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const fetchList = () => {
        const list = api
          .request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>('GET', path)
          .then((r) => r.resources.filter((x) => !x.name.includes('/')));
        discovery.set(path, list);
        list.catch(() => discovery.delete(path));
        return list;
      };
      const cached = discovery.get(path);
      let found = (await (cached ?? fetchList())).find((r) => r.kind === kind);
      // A kind a cached list lacks may be one a CRD added since: ask once more.
      if (!found && cached) found = (await fetchList()).find((r) => r.kind === kind);
      return found && { plural: found.name, namespaced: found.namespaced };
    },
    close: () => agent.destroy(),
  };
  return api;
}

/** The texts of Warning headers (`299 - "text"`), as kubectl prints them after `Warning: `. */
export function warningsOf(header: string | string[] | undefined): string[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: string[] = [];
  for (const v of values) {
    // Several warnings may share one header, comma-separated, each with its quoted text.
    for (const m of v.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)) out.push((m[1] ?? '').replace(/\\(.)/g, '$1'));
  }
  return out;
}

/** The API path of a kind's collection, in a namespace or cluster-wide. */
export function collectionPath(apiVersion: string, plural: string, namespace?: string): string {
  const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${root}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${plural}`;
}

/** The last `lines` lines a container wrote (its previous instance when it crashed). */
export async function podLogs(
  api: KubeApi,
  p: { namespace: string; pod: string; container: string; previous: boolean; lines: number },
): Promise<string[]> {
  const q = new URLSearchParams({ container: p.container, tailLines: String(p.lines), previous: String(p.previous) });
  const path = `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods/${encodeURIComponent(p.pod)}/log?${q}`;
  const text = await api.request<string>('GET', path, { raw: true });
  return text.split('\n').filter((l) => l.trim());
}

/** The latest events about one object, oldest first. */
export async function eventsAbout(
  api: KubeApi,
  p: { namespace: string; name: string; uid?: string; limit: number },
): Promise<{ type?: string; reason?: string; message?: string; count?: number }[]> {
  const q = new URLSearchParams({
    fieldSelector: `involvedObject.name=${p.name}${p.uid ? `,involvedObject.uid=${p.uid}` : ''}`,
  });
  const r = await api.request<{
    items: { type?: string; reason?: string; message?: string; count?: number; lastTimestamp?: string }[];
  }>('GET', `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/events?${q}`);
  return r.items.slice(-p.limit);
}
