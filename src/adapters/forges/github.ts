/**
 * GitHub pull requests through the REST API (https://docs.github.com/en/rest/pulls/pulls): find, create,
 * update, close, labels, assignees, comments; auto-merge through GraphQL `enablePullRequestAutoMerge`,
 * only when the repository allows it. GitHub Enterprise: the API base from GITHUB_API_URL or git.forgeUrl.
 */
import type { Logger } from '../../core/io.js';
import { type ForgeHttp, ForgeHttpError, forgeList, forgeRequest, statusError } from './http.js';
import { type ForgeTarget, SCOPES } from './resolve.js';
import type { ChangeRequest, Forge } from './types.js';

/** The fields of GitHub's pull request object that we read. */
interface PullRequest {
  number: number;
  node_id: string;
  html_url: string;
  body: string | null;
  head: { ref: string; sha: string };
}

interface Repository {
  node_id: string;
  allow_auto_merge?: boolean;
  allow_merge_commit?: boolean;
  allow_squash_merge?: boolean;
  allow_rebase_merge?: boolean;
}

interface GraphqlResponse {
  data?: unknown;
  errors?: { type?: string; message: string }[];
}

/**
 * GraphQL sits beside REST: api.github.com/graphql, or <host>/api/graphql on GitHub Enterprise.
 * GITHUB_GRAPHQL_URL (Actions) counts only when it is on the REST API's host: the token goes there.
 */
export function graphqlUrl(apiUrl: string, env: NodeJS.ProcessEnv): string {
  if (
    env.GITHUB_GRAPHQL_URL &&
    URL.canParse(env.GITHUB_GRAPHQL_URL) &&
    new URL(env.GITHUB_GRAPHQL_URL).origin === new URL(apiUrl).origin
  )
    return env.GITHUB_GRAPHQL_URL;
  return apiUrl.endsWith('/api/v3') ? `${apiUrl.slice(0, -'/v3'.length)}/graphql` : `${apiUrl}/graphql`;
}

const ENABLE_AUTO_MERGE = `mutation($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod) {
  enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: $mergeMethod}) {
    pullRequest { number autoMergeRequest { enabledAt } }
  }
}`;

export function github(t: ForgeTarget, log: Logger, env: NodeJS.ProcessEnv): Forge {
  const http: ForgeHttp = {
    forge: 'GitHub',
    apiUrl: t.apiUrl,
    log,
    tokenVariable: t.tokenVariable,
    scopes: SCOPES.github,
    headers: {
      Authorization: `Bearer ${t.token}`,
      Accept: 'application/vnd.github+json',
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': 'gitops-flow',
    },
  };
  const [owner] = t.project.split('/') as [string, string];
  const repo = `/repos/${t.project.split('/').map(encodeURIComponent).join('/')}`;
  let repository: Repository | undefined;
  let assignees: string[] = [];
  const toChange = (p: PullRequest): ChangeRequest => ({
    number: p.number,
    url: p.html_url,
    branch: p.head.ref,
    description: p.body ?? '',
    sha: p.head.sha,
    nodeId: p.node_id,
  });
  const open = async (query: Record<string, string>) =>
    (await forgeList<PullRequest>(http, `${repo}/pulls`, { state: 'open', ...query })).map(toChange);
  /** Labels and assignees are the issue side of a pull request; POST adds, keeping what people set. */
  const decorate = async (n: number, labels: string[]) => {
    if (labels.length) await forgeRequest(http, 'POST', `${repo}/issues/${n}/labels`, { body: { labels } });
    if (assignees.length) await forgeRequest(http, 'POST', `${repo}/issues/${n}/assignees`, { body: { assignees } });
  };
  const forge: Forge = {
    name: 'GitHub',
    noun: 'pull request',
    ref: (n) => `#${n}`,
    async preflight(names) {
      repository = (await forgeRequest<Repository>(http, 'GET', repo)).body;
      assignees = names;
    },
    async findOpen(branch, target) {
      return (await open({ head: `${owner}:${branch}`, base: target }))[0];
    },
    listOpen: (target) => open({ base: target }),
    async create(f) {
      let pr: PullRequest;
      try {
        pr = (
          await forgeRequest<PullRequest>(http, 'POST', `${repo}/pulls`, {
            body: { title: f.title, head: f.branch, base: f.target, body: f.description },
            accept: [422],
          })
        ).body;
      } catch (e) {
        // 422 "A pull request already exists for owner:branch": someone was faster.
        if (!(e instanceof ForgeHttpError)) throw e;
        const existing = await forge.findOpen(f.branch, f.target);
        if (!existing) throw statusError(http, e.status, e.method, e.path, e.body);
        log.info(`  GitHub already has ${forge.ref(existing.number)} for ${f.branch}; updating it`);
        return { change: await forge.update(existing, f), created: false };
      }
      await decorate(pr.number, f.labels);
      return { change: toChange(pr), created: true };
    },
    async update(c, f) {
      const pr = (
        await forgeRequest<PullRequest>(http, 'PATCH', `${repo}/pulls/${c.number}`, {
          body: { title: f.title, body: f.description },
        })
      ).body;
      await decorate(c.number, f.labels);
      return toChange(pr);
    },
    async close(c, note) {
      await forge.comment(c.number, note);
      await forgeRequest(http, 'PATCH', `${repo}/pulls/${c.number}`, { body: { state: 'closed' } });
    },
    async comment(n, body) {
      await forgeRequest(http, 'POST', `${repo}/issues/${n}/comments`, { body: { body } });
    },
    async autoMerge(c) {
      if (repository && repository.allow_auto_merge === false)
        return { set: false, why: 'the repository does not allow auto-merge (Settings → General → Allow auto-merge)' };
      const mergeMethod =
        repository?.allow_merge_commit !== false
          ? 'MERGE'
          : repository.allow_squash_merge !== false
            ? 'SQUASH'
            : 'REBASE';
      const r = await forgeRequest<GraphqlResponse>(http, 'POST', '/graphql', {
        url: graphqlUrl(t.apiUrl, env),
        body: { query: ENABLE_AUTO_MERGE, variables: { pullRequestId: c.nodeId, mergeMethod } },
      });
      const errors = r.body.errors ?? [];
      return errors.length === 0 ? { set: true } : { set: false, why: errors.map((e) => e.message).join('; ') };
    },
  };
  return forge;
}
