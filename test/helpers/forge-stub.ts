/**
 * A STUB of the forge: one HTTP server on 127.0.0.1 that is both the git remote (`git http-backend`
 * for the env repo, Basic auth `oauth2:<token>`, as GitLab) and the REST API gitops-flow calls — GitLab
 * v4 under /api/v4, GitHub under /api/v3 with GraphQL at /api/graphql (GitHub Enterprise's layout).
 * Response bodies carry the field names of GitLab's and GitHub's API documentation; every API request
 * is recorded (method, URL, headers, body) so tests assert exactly what we send. Faults (401, 429 with
 * Retry-After, 5xx…) are queued per route with `fail()`.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { githubApi } from './forge-stub-github.js';
import { gitlabApi } from './forge-stub-gitlab.js';
import type { StubMergeRequest, StubState } from './forge-stub-state.js';
import { exampleFiles, makeRemote, type Remote } from './git-fixtures.js';
import { cgi } from './http-git.js';

export type { StubMergeRequest };

export interface RecordedRequest {
  method: string;
  /** Path and query as sent (still URL-encoded). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface Fault {
  method: string;
  /** Matched against the path without the query. */
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many requests it answers (default 1). */
  times?: number;
}

export interface ForgeStub {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Clone URL of the env repo: `${url}/<project>.git`. */
  repoUrl: string;
  requests: RecordedRequest[];
  /** GitLab merge requests, or GitHub pull requests (same record; `iid` is the number). */
  changes: StubMergeRequest[];
  fail(f: Fault): void;
  /** GitHub: the repository's allow_auto_merge (default true). */
  settings: { allowAutoMerge: boolean; headPipeline: boolean };
  close(): Promise<void>;
}

/**
 * Serves `bareDir` as `<project>.git` (e.g. "group/env" or "owner/env") and the API of `kind`.
 * `token` is what both git and the API accept.
 */
export async function startForgeStub(o: {
  kind: 'gitlab' | 'github';
  project: string;
  bareDir: string;
  token: string;
}): Promise<ForgeStub> {
  const requests: RecordedRequest[] = [];
  const changes: StubMergeRequest[] = [];
  const faults: Fault[] = [];
  const settings = { allowAutoMerge: true, headPipeline: true };
  const s: StubState = { project: o.project, token: o.token, base: '', changes, settings };
  const gitAuth = `Basic ${Buffer.from(`oauth2:${o.token}`).toString('base64')}`;
  const repoPrefix = `/${o.project}.git`;

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith(`${repoPrefix}/`)) {
      if (req.headers.authorization !== gitAuth) {
        res
          .writeHead(401, { 'WWW-Authenticate': 'Basic realm="GitLab"', 'Content-Type': 'text/plain' })
          .end('HTTP Basic: Access denied\n');
        return;
      }
      // The bare repo lives at <dir>/env.git: map /<project>.git/… onto it.
      const dir = o.bareDir.replace(/\/[^/]+$/, '');
      const name = o.bareDir.slice(dir.length);
      cgi(req, res, dir, `${name}${url.slice(repoPrefix.length)}`);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      requests.push({ method: req.method ?? 'GET', url, headers: req.headers, body });
      const path = url.split('?')[0] as string;
      const fault = faults.find((f) => f.method === req.method && f.path.test(path));
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        if (fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
        return send(res, fault.status, fault.body ?? {}, fault.headers);
      }
      const r = o.kind === 'gitlab' ? gitlabApi(s, req, url, body) : githubApi(s, req, url, body);
      send(res, r[0], r[1]);
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: s.base,
    repoUrl: `${s.base}${repoPrefix}`,
    requests,
    changes,
    settings,
    fail: (f) => faults.push({ ...f, times: f.times ?? 1 }),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
  res.end(text);
}

/**
 * For a test file: `setup(config?)` starts a stub serving a fresh remote of the example env repo (with
 * `config` as its gitops-flow.yaml); it is closed after each test.
 */
export function stubPerTest(o: {
  kind: 'gitlab' | 'github';
  project: string;
  token: string;
}): (config?: string) => Promise<{ remote: Remote; stub: ForgeStub }> {
  let stub: ForgeStub | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });
  return async (config) => {
    const remote = makeRemote(exampleFiles(config ? { 'gitops-flow.yaml': config } : {}));
    stub = await startForgeStub({ ...o, bareDir: remote.dir });
    return { remote, stub };
  };
}
