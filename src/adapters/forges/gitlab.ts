/**
 * GitLab merge requests through REST API v4 (https://docs.gitlab.com/api/merge_requests/): find, create,
 * update, close, comment (notes) and auto-merge. The project is addressed by its URL-encoded path.
 */
import { invalid, quote } from '../../core/errors.js';
import type { Logger } from '../../core/io.js';
import { type ForgeHttp, ForgeHttpError, forgeList, forgeRequest, statusError } from './http.js';
import { type ForgeTarget, SCOPES } from './resolve.js';
import type { ChangeRequest, Forge } from './types.js';

/** The fields of GitLab's merge request object that we read. */
interface MergeRequest {
  iid: number;
  web_url: string;
  source_branch: string;
  description: string | null;
  sha?: string | null;
  head_pipeline?: { id: number; status: string } | null;
}

/** How long to wait for the merge request's pipeline before setting auto-merge (GitLab creates it async). */
const PIPELINE_WAITS_MS = [1000, 2000, 3000, 4000];

export function gitlab(t: ForgeTarget, log: Logger, o: { pipelineWaitsMs?: number[] } = {}): Forge {
  const http: ForgeHttp = {
    forge: 'GitLab',
    apiUrl: t.apiUrl,
    log,
    tokenVariable: t.tokenVariable,
    scopes: SCOPES.gitlab,
    headers: { 'PRIVATE-TOKEN': t.token, Accept: 'application/json', 'User-Agent': 'gitops-flow' },
  };
  const project = `/projects/${encodeURIComponent(t.project)}`;
  const mrs = `${project}/merge_requests`;
  const assigneeIds: number[] = [];
  const toChange = (m: MergeRequest): ChangeRequest => ({
    number: m.iid,
    url: m.web_url,
    branch: m.source_branch,
    description: m.description ?? '',
    ...(m.sha && { sha: m.sha }),
  });
  const open = async (query: Record<string, string>) =>
    (await forgeList<MergeRequest>(http, mrs, { state: 'opened', ...query })).map(toChange);
  const forge: Forge = {
    name: 'GitLab',
    noun: 'merge request',
    ref: (n) => `!${n}`,
    async preflight(assignees) {
      await forgeRequest(http, 'GET', project);
      for (const username of assignees) {
        const users = (
          await forgeRequest<{ id: number; username: string }[]>(
            http,
            'GET',
            `/users?${new URLSearchParams({ username })}`,
          )
        ).body;
        const user = users.find((u) => u.username.toLowerCase() === username.toLowerCase());
        if (!user) {
          throw invalid(
            'FORGE_ASSIGNEE_UNKNOWN',
            `GitLab has no user ${quote(username)} (git.mergeRequest.assignees).`,
            'Use GitLab usernames (without "@") of project members in git.mergeRequest.assignees.',
            username,
          );
        }
        assigneeIds.push(user.id);
      }
    },
    async findOpen(branch, target) {
      return (await open({ source_branch: branch, target_branch: target }))[0];
    },
    listOpen: (target) => open({ target_branch: target }),
    async create(f) {
      try {
        const body = {
          source_branch: f.branch,
          target_branch: f.target,
          title: f.title,
          description: f.description,
          labels: f.labels.join(','),
          remove_source_branch: f.removeSourceBranch,
          ...(assigneeIds.length && { assignee_ids: assigneeIds }),
        };
        return {
          change: toChange((await forgeRequest<MergeRequest>(http, 'POST', mrs, { body, accept: [409] })).body),
          created: true,
        };
      } catch (e) {
        // "Another open merge request already exists for this source branch": someone was faster.
        if (!(e instanceof ForgeHttpError)) throw e;
        const existing = await forge.findOpen(f.branch, f.target);
        if (!existing) throw statusError(http, e.status, e.method, e.path, e.body);
        log.info(`  GitLab already has ${forge.ref(existing.number)} for ${f.branch}; updating it`);
        return { change: await forge.update(existing, f), created: false };
      }
    },
    async update(c, f) {
      const body = {
        title: f.title,
        description: f.description,
        add_labels: f.labels.join(','),
        ...(assigneeIds.length && { assignee_ids: assigneeIds }),
      };
      return toChange((await forgeRequest<MergeRequest>(http, 'PUT', `${mrs}/${c.number}`, { body })).body);
    },
    async close(c, note) {
      await forge.comment(c.number, note);
      await forgeRequest(http, 'PUT', `${mrs}/${c.number}`, { body: { state_event: 'close' } });
    },
    async comment(n, body) {
      await forgeRequest(http, 'POST', `${mrs}/${n}/notes`, { body: { body } });
    },
    async autoMerge(c, mode) {
      // Setting auto-merge before GitLab has created the pipeline can merge at once, untested: wait for it.
      let mr: MergeRequest | undefined;
      for (const wait of [0, ...(o.pipelineWaitsMs ?? PIPELINE_WAITS_MS)]) {
        if (wait) await new Promise((r) => setTimeout(r, wait));
        mr = (await forgeRequest<MergeRequest>(http, 'GET', `${mrs}/${c.number}`)).body;
        if (mr.head_pipeline) break;
      }
      if (!mr?.head_pipeline)
        return { set: false, why: 'its pipeline has not started yet, and without one GitLab could merge it untested' };
      // GitLab before 17.11 ignores `auto_merge` and would merge at once: merge_when_pipeline_succeeds
      // (deprecated in 17.11, still honoured) goes along, and the head sha pins what was tested.
      const body = {
        ...(mode === 'auto_merge' && { auto_merge: true }),
        merge_when_pipeline_succeeds: true,
        ...(mr.sha && { sha: mr.sha }),
      };
      try {
        const merged = (
          await forgeRequest<{ state?: string }>(http, 'PUT', `${mrs}/${c.number}/merge`, {
            body,
            accept: [405, 406, 409, 422],
          })
        ).body;
        if (merged.state === 'merged')
          log.warn(`GitLab merged ${forge.ref(c.number)} at once instead of when its pipeline succeeds`);
        return { set: true };
      } catch (e) {
        if (!(e instanceof ForgeHttpError)) throw e;
        return {
          set: false,
          why: `GitLab answered ${e.status} (${e.status === 405 ? 'not mergeable now' : e.status === 409 ? 'the branch moved' : 'refused'})`,
        };
      }
    },
  };
  return forge;
}
