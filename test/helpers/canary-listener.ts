/**
 * A host that must never receive a credential: a loopback HTTP listener (another port, or 127.0.0.2 —
 * another host to git and to gitops-flow) that records every request, basic auth decoded. In canary
 * mode its log is a file under the run's root, so the end-of-run canary scan counts any canary token
 * that reached it as a leak; tests also read `requests` directly. `serve` answers what a real server
 * would (a redirect, `git http-backend`); by default 404.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './git-fixtures.js';

export interface ListenedRequest {
  method: string;
  url: string;
  /** Every header value, and basic auth credentials decoded (user:password). */
  secrets: string[];
  /** The credentials it carried: Authorization, PRIVATE-TOKEN, JOB-TOKEN. */
  credentials: string[];
}

export interface CanaryListener {
  /** http://<host>:<port> */
  url: string;
  requests: ListenedRequest[];
  /** Requests that carried an Authorization or PRIVATE-TOKEN header. */
  withCredentials(): ListenedRequest[];
  close(): Promise<void>;
}

export type Serve = (req: IncomingMessage, res: ServerResponse) => void;

/** `name` names its log; `host` defaults to 127.0.0.1 (127.0.0.2 is another host to git and to us). */
export async function startCanaryListener(o: {
  host?: string;
  name: string;
  serve?: Serve;
  /** false: a host the caller chose on purpose (its requests are not logged for the canary scan). */
  scanned?: boolean;
}): Promise<CanaryListener> {
  const root = process.env.GITOPS_FLOW_CANARY_ROOT ?? tempDir('gitops-flow-listener-');
  const dir = join(root, 'listeners');
  mkdirSync(dir, { recursive: true });
  const log = join(dir, `${o.name}-${process.pid}-${Date.now()}.log`);
  const requests: ListenedRequest[] = [];
  const server = createServer((req, res) => {
    const secrets = Object.values(req.headers).flatMap((v) => (Array.isArray(v) ? v : v ? [v] : []));
    const basic = /^Basic\s+(\S+)/i.exec(req.headers.authorization ?? '');
    if (basic) secrets.push(Buffer.from(basic[1] as string, 'base64').toString('utf8'));
    const credentials = ['authorization', 'private-token', 'job-token'].flatMap((h) => {
      const v = req.headers[h];
      return typeof v === 'string' ? [v] : [];
    });
    const r = { method: req.method ?? 'GET', url: req.url ?? '/', secrets, credentials };
    requests.push(r);
    if (o.scanned !== false) appendFileSync(log, `${JSON.stringify(r)}\n`);
    if (o.serve) o.serve(req, res);
    else res.writeHead(404).end();
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    requests,
    withCredentials: () => requests.filter((r) => r.credentials.length > 0),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
