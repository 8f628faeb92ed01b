/**
 * Git over real HTTP on loopback: a small node server that runs `git http-backend` as a CGI for every
 * request under GIT_PROJECT_ROOT, and answers 401 unless the request carries
 * `Authorization: Basic base64(oauth2:<token>)` — what GitLab expects of a token.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>`; a repo at `<root>/env.git` is `${url}/env.git`. */
  url: string;
  /** Requests answered 401 (no or wrong credentials) and requests served. */
  counts: { refused: number; served: number };
  close(): Promise<void>;
}

/** Serves the bare repos under `root` (push too: set `http.receivepack` in a repo to allow it). */
export async function serveGitHttp(o: { root: string; token: string }): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`oauth2:${o.token}`).toString('base64')}`;
  const counts = { refused: 0, served: 0 };
  const server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      counts.refused++;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="gitops-flow test"', 'Content-Type': 'text/plain' });
      res.end('HTTP Basic: Access denied\n');
      return;
    }
    counts.served++;
    cgi(req, res, o.root);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * One CGI call of `git http-backend`: request body on stdin, `Status:`/headers then body on stdout.
 * `path` overrides the request's path (a server that maps URLs to repos elsewhere).
 */
export function cgi(req: IncomingMessage, res: ServerResponse, root: string, path?: string): void {
  const url = new URL(path ?? req.url ?? '/', 'http://127.0.0.1');
  const header = (name: string) => (req.headers[name] as string | undefined) ?? '';
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: root,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REQUEST_METHOD: req.method ?? 'GET',
    CONTENT_TYPE: header('content-type'),
    REMOTE_USER: 'oauth2',
    REMOTE_ADDR: '127.0.0.1',
    GIT_PROTOCOL: header('git-protocol'),
    HTTP_CONTENT_ENCODING: header('content-encoding'),
    ...(req.headers['content-length'] && { CONTENT_LENGTH: header('content-length') }),
  };
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on('data', (b: Buffer) => {
    if (headersSent) return void res.write(b);
    head = Buffer.concat([head, b]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString().split('\r\n')) {
      const i = line.indexOf(':');
      const [k, v] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
      if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10);
      else headers[k] = v;
    }
    res.writeHead(status, headers);
    headersSent = true;
    res.write(head.subarray(end + 4));
  });
  child.stderr.resume();
  child.on('close', () => {
    if (!headersSent) res.writeHead(500).end();
    else res.end();
  });
}
