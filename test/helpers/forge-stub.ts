/**
 * A STUB of the forge: one HTTP server on 127.0.0.1 that is both the git remote (`git http-backend`
 * for the env repo, Basic auth `oauth2:<token>`, as GitLab) and the REST API gitops-flow calls — GitLab
 * v4 under /api/v4, GitHub under /api/v3 with GraphQL at /api/graphql (GitHub Enterprise's layout).
 * Response bodies carry the field names of GitLab's and GitHub's API documentation; every API request
 * is recorded (method, URL, headers, body) so tests assert exactly what we send. Faults (401, 429 with
 * Retry-After, 5xx…) are queued per route with `fail()`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { exampleFiles, makeRemote, type Remote } from './git-fixtures.js';
import { cgi } from './http-git.js';

export interface RecordedRequest {
  method: string;
  /** Path and query as sent (still URL-encoded). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface StubMergeRequest {
  iid: number;
  title: string;
  description: string;
  state: 'opened' | 'closed' | 'merged';
  source_branch: string;
  target_branch: string;
  labels: string[];
  assignee_ids: number[];
  remove_source_branch: boolean;
  auto_merge: boolean;
  notes: string[];
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

const USER = {
  id: 7,
  username: 'release-bot',
  name: 'Release Bot',
  state: 'active',
  locked: false,
  avatar_url: null,
  web_url: 'http://127.0.0.1/release-bot',
};
const TIME = '2026-11-26T06:00:00.000Z';

/**
 * Serves `bareDir` as `<project>.git` (e.g. "group/env" or "owner/env") and the API of `kind`.
 * `token` is what both git and the API accept.
 */
/** One page of a list, as both forges paginate: `per_page` (default 20 on GitLab, 30 on GitHub) and `page` from 1. */
function page<T>(list: T[], q: URLSearchParams): T[] {
  const size = Number(q.get('per_page') ?? 20);
  const n = Number(q.get('page') ?? 1);
  return list.slice((n - 1) * size, n * size);
}

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
  let base = '';
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
      const r = o.kind === 'gitlab' ? gitlabApi(req, url, body) : githubApi(req, url, body);
      send(res, r[0], r[1]);
    });
  });

  const mrJson = (m: StubMergeRequest, single = false) => ({
    id: 1000 + m.iid,
    iid: m.iid,
    project_id: 42,
    title: m.title,
    description: m.description,
    state: m.state,
    created_at: TIME,
    updated_at: TIME,
    merged_by: null,
    merge_user: null,
    merged_at: null,
    closed_by: null,
    closed_at: null,
    target_branch: m.target_branch,
    source_branch: m.source_branch,
    user_notes_count: m.notes.length,
    upvotes: 0,
    downvotes: 0,
    author: USER,
    assignees: m.assignee_ids.map((id) => ({ ...USER, id })),
    assignee: m.assignee_ids.length ? { ...USER, id: m.assignee_ids[0] } : null,
    reviewers: [],
    source_project_id: 42,
    target_project_id: 42,
    labels: m.labels,
    draft: false,
    work_in_progress: false,
    milestone: null,
    merge_when_pipeline_succeeds: m.auto_merge,
    merge_status: 'can_be_merged',
    detailed_merge_status: m.auto_merge ? 'ci_still_running' : 'mergeable',
    sha: 'a'.repeat(40),
    merge_commit_sha: null,
    squash_commit_sha: null,
    discussion_locked: null,
    should_remove_source_branch: null,
    force_remove_source_branch: m.remove_source_branch,
    reference: `!${m.iid}`,
    references: { short: `!${m.iid}`, relative: `!${m.iid}`, full: `${o.project}!${m.iid}` },
    web_url: `${base}/${o.project}/-/merge_requests/${m.iid}`,
    time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
    squash: false,
    task_completion_status: { count: 0, completed_count: 0 },
    has_conflicts: false,
    blocking_discussions_resolved: true,
    ...(single && {
      head_pipeline: settings.headPipeline
        ? {
            id: 77,
            iid: 3,
            project_id: 42,
            sha: 'a'.repeat(40),
            ref: m.source_branch,
            status: 'running',
            source: 'merge_request_event',
            web_url: `${base}/${o.project}/-/pipelines/77`,
          }
        : null,
    }),
  });

  function gitlabApi(req: IncomingMessage, url: string, body: unknown): [number, unknown] {
    if (req.headers['private-token'] !== o.token) return [401, { message: '401 Unauthorized' }];
    const u = new URL(url, 'http://stub');
    const q = u.searchParams;
    const encoded = encodeURIComponent(o.project);
    // The project by id (42, as CI_PROJECT_ID gives it) or by URL-encoded path.
    const p = u.pathname.replace(/^\/api\/v4\/projects\/42(?=\/|$)/, `/api/v4/projects/${encoded}`);
    const b = (body ?? {}) as Record<string, unknown>;
    const project = `/api/v4/projects/${encoded}`;
    if (req.method === 'GET' && p === project) {
      return [
        200,
        {
          id: 42,
          description: null,
          name: 'env',
          name_with_namespace: o.project.replace('/', ' / '),
          path: 'env',
          path_with_namespace: o.project,
          default_branch: 'main',
          web_url: `${base}/${o.project}`,
          http_url_to_repo: `${base}/${o.project}.git`,
        },
      ];
    }
    if (p.startsWith('/api/v4/projects/') && !p.startsWith(`${project}/`) && p !== project)
      return [404, { message: '404 Project Not Found' }];
    if (req.method === 'GET' && p === '/api/v4/users') return [200, q.get('username') === 'release-bot' ? [USER] : []];
    const mrs = `${project}/merge_requests`;
    if (req.method === 'GET' && p === mrs) {
      const list = changes.filter(
        (m) =>
          (!q.get('state') || m.state === q.get('state')) &&
          (!q.get('source_branch') || m.source_branch === q.get('source_branch')) &&
          (!q.get('target_branch') || m.target_branch === q.get('target_branch')),
      );
      return [200, page(list, q).map((m) => mrJson(m))];
    }
    if (req.method === 'POST' && p === mrs) {
      const dup = changes.find((m) => m.state === 'opened' && m.source_branch === b.source_branch);
      if (dup)
        return [409, { message: [`Another open merge request already exists for this source branch: !${dup.iid}`] }];
      const m: StubMergeRequest = {
        iid: changes.length + 1,
        title: String(b.title),
        description: String(b.description ?? ''),
        state: 'opened',
        source_branch: String(b.source_branch),
        target_branch: String(b.target_branch),
        labels: String(b.labels ?? '')
          .split(',')
          .filter(Boolean),
        assignee_ids: (b.assignee_ids as number[] | undefined) ?? [],
        remove_source_branch: Boolean(b.remove_source_branch),
        auto_merge: false,
        notes: [],
      };
      changes.push(m);
      return [201, mrJson(m)];
    }
    const one = new RegExp(`^${mrs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(\\d+)(/merge|/notes)?$`).exec(p);
    const m = one && changes.find((c) => c.iid === Number(one[1]));
    if (one && !m) return [404, { message: '404 Not found' }];
    if (m && !one?.[2] && req.method === 'GET') return [200, mrJson(m, true)];
    if (m && !one?.[2] && req.method === 'PUT') {
      if (typeof b.title === 'string') m.title = b.title;
      if (typeof b.description === 'string') m.description = b.description;
      if (typeof b.add_labels === 'string')
        for (const l of b.add_labels.split(',').filter(Boolean)) if (!m.labels.includes(l)) m.labels.push(l);
      if (Array.isArray(b.assignee_ids)) m.assignee_ids = b.assignee_ids as number[];
      if (b.state_event === 'close') m.state = 'closed';
      return [200, mrJson(m, true)];
    }
    if (m && one?.[2] === '/merge' && req.method === 'PUT') {
      if (m.state !== 'opened') return [405, { message: '405 Method Not Allowed' }];
      m.auto_merge = true;
      return [200, mrJson(m, true)];
    }
    if (m && one?.[2] === '/notes' && req.method === 'POST') {
      m.notes.push(String(b.body));
      return [
        201,
        {
          id: 500 + m.notes.length,
          type: null,
          body: b.body,
          author: USER,
          created_at: TIME,
          updated_at: TIME,
          system: false,
          noteable_id: 1000 + m.iid,
          noteable_type: 'MergeRequest',
          project_id: 42,
          noteable_iid: m.iid,
          resolvable: false,
          confidential: false,
          internal: false,
        },
      ];
    }
    return [404, { message: '404 Not Found' }];
  }

  const [owner] = o.project.split('/') as [string];
  const prJson = (m: StubMergeRequest) => ({
    url: `${base}/api/v3/repos/${o.project}/pulls/${m.iid}`,
    id: 2000 + m.iid,
    node_id: `PR_kwDOstub${m.iid}`,
    html_url: `${base}/${o.project}/pull/${m.iid}`,
    number: m.iid,
    state: m.state === 'opened' ? 'open' : 'closed',
    locked: false,
    title: m.title,
    user: { login: 'release-bot', id: 7, type: 'Bot' },
    body: m.description,
    labels: m.labels.map((name, i) => ({
      id: i + 1,
      node_id: `LA_${i}`,
      name,
      color: 'ededed',
      default: false,
      description: null,
    })),
    milestone: null,
    created_at: TIME,
    updated_at: TIME,
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    assignees: [],
    requested_reviewers: [],
    draft: false,
    head: {
      label: `${owner}:${m.source_branch}`,
      ref: m.source_branch,
      sha: 'b'.repeat(40),
      user: { login: owner },
      repo: { full_name: o.project },
    },
    base: {
      label: `${owner}:${m.target_branch}`,
      ref: m.target_branch,
      sha: 'c'.repeat(40),
      user: { login: owner },
      repo: { full_name: o.project },
    },
    auto_merge: m.auto_merge
      ? { enabled_by: { login: 'release-bot' }, merge_method: 'merge', commit_title: m.title, commit_message: '' }
      : null,
  });

  function githubApi(req: IncomingMessage, url: string, body: unknown): [number, unknown] {
    if (req.headers.authorization !== `Bearer ${o.token}`)
      return [401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' }];
    const u = new URL(url, 'http://stub');
    const q = u.searchParams;
    const p = u.pathname;
    const b = (body ?? {}) as Record<string, unknown>;
    const repo = `/api/v3/repos/${o.project}`;
    if (req.method === 'POST' && p === '/api/graphql') {
      const id = String((b.variables as { pullRequestId?: string } | undefined)?.pullRequestId);
      const m = changes.find((c) => `PR_kwDOstub${c.iid}` === id);
      if (!settings.allowAutoMerge)
        return [
          200,
          {
            data: { enablePullRequestAutoMerge: null },
            errors: [
              {
                type: 'UNPROCESSABLE',
                path: ['enablePullRequestAutoMerge'],
                locations: [{ line: 2, column: 3 }],
                message: 'Pull request Auto merge is not allowed for this repository',
              },
            ],
          },
        ];
      if (!m)
        return [
          200,
          {
            data: null,
            errors: [{ type: 'NOT_FOUND', message: `Could not resolve to a node with the global id of '${id}'` }],
          },
        ];
      m.auto_merge = true;
      return [
        200,
        {
          data: {
            enablePullRequestAutoMerge: { pullRequest: { number: m.iid, autoMergeRequest: { enabledAt: TIME } } },
          },
        },
      ];
    }
    if (req.method === 'GET' && p === repo) {
      return [
        200,
        {
          id: 4242,
          node_id: 'R_kgDOstub',
          name: 'env',
          full_name: o.project,
          private: true,
          owner: { login: owner, id: 9, type: 'Organization' },
          html_url: `${base}/${o.project}`,
          default_branch: 'main',
          allow_auto_merge: settings.allowAutoMerge,
          allow_merge_commit: true,
          allow_squash_merge: true,
          allow_rebase_merge: true,
          delete_branch_on_merge: false,
        },
      ];
    }
    if (p.startsWith('/api/v3/repos/') && !p.startsWith(`${repo}/`) && p !== repo)
      return [
        404,
        { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/pulls/pulls', status: '404' },
      ];
    if (req.method === 'GET' && p === `${repo}/pulls`) {
      const list = changes.filter(
        (m) =>
          (q.get('state') !== 'open' || m.state === 'opened') &&
          (!q.get('head') || `${owner}:${m.source_branch}` === q.get('head')) &&
          (!q.get('base') || m.target_branch === q.get('base')),
      );
      return [200, page(list, q).map(prJson)];
    }
    if (req.method === 'POST' && p === `${repo}/pulls`) {
      if (changes.some((m) => m.state === 'opened' && m.source_branch === b.head)) {
        return [
          422,
          {
            message: 'Validation Failed',
            errors: [
              {
                resource: 'PullRequest',
                code: 'custom',
                message: `A pull request already exists for ${owner}:${String(b.head)}.`,
              },
            ],
            documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
            status: '422',
          },
        ];
      }
      const m: StubMergeRequest = {
        iid: changes.length + 1,
        title: String(b.title),
        description: String(b.body ?? ''),
        state: 'opened',
        source_branch: String(b.head),
        target_branch: String(b.base),
        labels: [],
        assignee_ids: [],
        remove_source_branch: false,
        auto_merge: false,
        notes: [],
      };
      changes.push(m);
      return [201, prJson(m)];
    }
    const one = new RegExp(`^${repo}/(pulls|issues)/(\\d+)(/labels|/assignees|/comments)?$`).exec(p);
    const m = one && changes.find((c) => c.iid === Number(one[2]));
    if (one && !m) return [404, { message: 'Not Found', status: '404' }];
    if (m && one?.[1] === 'pulls' && !one[3] && req.method === 'PATCH') {
      if (typeof b.title === 'string') m.title = b.title;
      if (typeof b.body === 'string') m.description = b.body;
      if (b.state === 'closed') m.state = 'closed';
      return [200, prJson(m)];
    }
    if (m && one?.[3] === '/labels' && req.method === 'POST') {
      for (const l of (b.labels as string[]) ?? []) if (!m.labels.includes(l)) m.labels.push(l);
      return [
        200,
        m.labels.map((name, i) => ({
          id: i + 1,
          node_id: `LA_${i}`,
          url: `${base}/api/v3/repos/${o.project}/labels/${name}`,
          name,
          description: null,
          color: 'ededed',
          default: false,
        })),
      ];
    }
    if (m && one?.[3] === '/assignees' && req.method === 'POST') {
      return [
        201,
        {
          number: m.iid,
          title: m.title,
          assignees: ((b.assignees as string[]) ?? []).map((login) => ({ login, id: 7, type: 'User' })),
          pull_request: { url: prJson(m).url },
        },
      ];
    }
    if (m && one?.[3] === '/comments' && req.method === 'POST') {
      m.notes.push(String(b.body));
      return [
        201,
        {
          id: 900 + m.notes.length,
          node_id: 'IC_stub',
          html_url: `${base}/${o.project}/pull/${m.iid}#issuecomment-${900 + m.notes.length}`,
          body: b.body,
          user: { login: 'release-bot', id: 7 },
          created_at: TIME,
          updated_at: TIME,
          author_association: 'NONE',
        },
      ];
    }
    return [404, { message: 'Not Found', status: '404' }];
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    repoUrl: `${base}${repoPrefix}`,
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
