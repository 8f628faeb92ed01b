/** The forge stub's state its API handlers read and change (test/helpers/forge-stub.ts serves them). */

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

export interface StubState {
  project: string;
  token: string;
  /** http://127.0.0.1:<port>, once listening. */
  base: string;
  changes: StubMergeRequest[];
  settings: { allowAutoMerge: boolean; headPipeline: boolean };
}

export const USER = {
  id: 7,
  username: 'release-bot',
  name: 'Release Bot',
  state: 'active',
  locked: false,
  avatar_url: null,
  web_url: 'http://127.0.0.1/release-bot',
};
export const TIME = '2026-11-26T06:00:00.000Z';

/** One page of a list, as both forges paginate: `per_page` (default 20 on GitLab, 30 on GitHub) and `page` from 1. */
export function page<T>(list: T[], q: URLSearchParams): T[] {
  const size = Number(q.get('per_page') ?? 20);
  const n = Number(q.get('page') ?? 1);
  return list.slice((n - 1) * size, n * size);
}
