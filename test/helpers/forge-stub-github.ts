/** The GitHub side of the forge STUB: pull requests, labels, assignees, comments, GraphQL auto-merge. */
import type { IncomingMessage } from 'node:http';
import { page, type StubMergeRequest, type StubState, TIME } from './forge-stub-state.js';

const ownerOf = (s: StubState) => s.project.split('/')[0] as string;

const prJson = (s: StubState, m: StubMergeRequest) => {
  const owner = ownerOf(s);
  return {
    url: `${s.base}/api/v3/repos/${s.project}/pulls/${m.iid}`,
    id: 2000 + m.iid,
    node_id: `PR_kwDOstub${m.iid}`,
    html_url: `${s.base}/${s.project}/pull/${m.iid}`,
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
      repo: { full_name: s.project },
    },
    base: {
      label: `${owner}:${m.target_branch}`,
      ref: m.target_branch,
      sha: 'c'.repeat(40),
      user: { login: owner },
      repo: { full_name: s.project },
    },
    auto_merge: m.auto_merge
      ? { enabled_by: { login: 'release-bot' }, merge_method: 'merge', commit_title: m.title, commit_message: '' }
      : null,
  };
};

/** GitHub (Enterprise layout: REST under /api/v3, GraphQL at /api/graphql), as far as gitops-flow calls it. */
export function githubApi(s: StubState, req: IncomingMessage, url: string, body: unknown): [number, unknown] {
  const owner = ownerOf(s);
  if (req.headers.authorization !== `Bearer ${s.token}`)
    return [401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' }];
  const u = new URL(url, 'http://stub');
  const q = u.searchParams;
  const p = u.pathname;
  const b = (body ?? {}) as Record<string, unknown>;
  const repo = `/api/v3/repos/${s.project}`;
  if (req.method === 'POST' && p === '/api/graphql') {
    const id = String((b.variables as { pullRequestId?: string } | undefined)?.pullRequestId);
    const m = s.changes.find((c) => `PR_kwDOstub${c.iid}` === id);
    if (!s.settings.allowAutoMerge)
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
        full_name: s.project,
        private: true,
        owner: { login: owner, id: 9, type: 'Organization' },
        html_url: `${s.base}/${s.project}`,
        default_branch: 'main',
        allow_auto_merge: s.settings.allowAutoMerge,
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
    const list = s.changes.filter(
      (m) =>
        (q.get('state') !== 'open' || m.state === 'opened') &&
        (!q.get('head') || `${owner}:${m.source_branch}` === q.get('head')) &&
        (!q.get('base') || m.target_branch === q.get('base')),
    );
    return [200, page(list, q).map((m) => prJson(s, m))];
  }
  if (req.method === 'POST' && p === `${repo}/pulls`) {
    if (s.changes.some((m) => m.state === 'opened' && m.source_branch === b.head)) {
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
      iid: s.changes.length + 1,
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
    s.changes.push(m);
    return [201, prJson(s, m)];
  }
  const one = new RegExp(`^${repo}/(pulls|issues)/(\\d+)(/labels|/assignees|/comments)?$`).exec(p);
  const m = one && s.changes.find((c) => c.iid === Number(one[2]));
  if (one && !m) return [404, { message: 'Not Found', status: '404' }];
  if (m && one?.[1] === 'pulls' && !one[3] && req.method === 'PATCH') {
    if (typeof b.title === 'string') m.title = b.title;
    if (typeof b.body === 'string') m.description = b.body;
    if (b.state === 'closed') m.state = 'closed';
    return [200, prJson(s, m)];
  }
  if (m && one?.[3] === '/labels' && req.method === 'POST') {
    for (const l of (b.labels as string[]) ?? []) if (!m.labels.includes(l)) m.labels.push(l);
    return [
      200,
      m.labels.map((name, i) => ({
        id: i + 1,
        node_id: `LA_${i}`,
        url: `${s.base}/api/v3/repos/${s.project}/labels/${name}`,
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
        pull_request: { url: prJson(s, m).url },
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
        html_url: `${s.base}/${s.project}/pull/${m.iid}#issuecomment-${900 + m.notes.length}`,
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
