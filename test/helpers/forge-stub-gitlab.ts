/** The GitLab side of the forge STUB: merge requests, users, notes, auto-merge. */
import type { IncomingMessage } from 'node:http';
import { page, type StubMergeRequest, type StubState, TIME, USER } from './forge-stub-state.js';

const mrJson = (s: StubState, m: StubMergeRequest, single = false) => ({
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
  references: { short: `!${m.iid}`, relative: `!${m.iid}`, full: `${s.project}!${m.iid}` },
  web_url: `${s.base}/${s.project}/-/merge_requests/${m.iid}`,
  time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
  squash: false,
  task_completion_status: { count: 0, completed_count: 0 },
  has_conflicts: false,
  blocking_discussions_resolved: true,
  ...(single && {
    head_pipeline: s.settings.headPipeline
      ? {
          id: 77,
          iid: 3,
          project_id: 42,
          sha: 'a'.repeat(40),
          ref: m.source_branch,
          status: 'running',
          source: 'merge_request_event',
          web_url: `${s.base}/${s.project}/-/pipelines/77`,
        }
      : null,
  }),
});

/** GitLab v4, as far as gitops-flow calls it. */
export function gitlabApi(s: StubState, req: IncomingMessage, url: string, body: unknown): [number, unknown] {
  if (req.headers['private-token'] !== s.token) return [401, { message: '401 Unauthorized' }];
  const u = new URL(url, 'http://stub');
  const q = u.searchParams;
  const encoded = encodeURIComponent(s.project);
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
        name_with_namespace: s.project.replace('/', ' / '),
        path: 'env',
        path_with_namespace: s.project,
        default_branch: 'main',
        web_url: `${s.base}/${s.project}`,
        http_url_to_repo: `${s.base}/${s.project}.git`,
      },
    ];
  }
  if (p.startsWith('/api/v4/projects/') && !p.startsWith(`${project}/`) && p !== project)
    return [404, { message: '404 Project Not Found' }];
  if (req.method === 'GET' && p === '/api/v4/users') return [200, q.get('username') === 'release-bot' ? [USER] : []];
  const mrs = `${project}/merge_requests`;
  if (req.method === 'GET' && p === mrs) {
    const list = s.changes.filter(
      (m) =>
        (!q.get('state') || m.state === q.get('state')) &&
        (!q.get('source_branch') || m.source_branch === q.get('source_branch')) &&
        (!q.get('target_branch') || m.target_branch === q.get('target_branch')),
    );
    return [200, page(list, q).map((m) => mrJson(s, m))];
  }
  if (req.method === 'POST' && p === mrs) {
    const dup = s.changes.find((m) => m.state === 'opened' && m.source_branch === b.source_branch);
    if (dup)
      return [409, { message: [`Another open merge request already exists for this source branch: !${dup.iid}`] }];
    const m: StubMergeRequest = {
      iid: s.changes.length + 1,
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
    s.changes.push(m);
    return [201, mrJson(s, m)];
  }
  const one = new RegExp(`^${mrs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(\\d+)(/merge|/notes)?$`).exec(p);
  const m = one && s.changes.find((c) => c.iid === Number(one[1]));
  if (one && !m) return [404, { message: '404 Not found' }];
  if (m && !one?.[2] && req.method === 'GET') return [200, mrJson(s, m, true)];
  if (m && !one?.[2] && req.method === 'PUT') {
    if (typeof b.title === 'string') m.title = b.title;
    if (typeof b.description === 'string') m.description = b.description;
    if (typeof b.add_labels === 'string')
      for (const l of b.add_labels.split(',').filter(Boolean)) if (!m.labels.includes(l)) m.labels.push(l);
    if (Array.isArray(b.assignee_ids)) m.assignee_ids = b.assignee_ids as number[];
    if (b.state_event === 'close') m.state = 'closed';
    return [200, mrJson(s, m, true)];
  }
  if (m && one?.[2] === '/merge' && req.method === 'PUT') {
    if (m.state !== 'opened') return [405, { message: '405 Method Not Allowed' }];
    m.auto_merge = true;
    return [200, mrJson(s, m, true)];
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
