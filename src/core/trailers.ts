/**
 * Commit messages that make every release traceable: a subject, the upstream story, and git trailers
 * (the last paragraph, written by us alone, so an upstream message cannot forge them).
 */

export type Action = 'suggest' | 'promote' | 'rollback' | 'restore' | 'unpin' | 'revert' | 'manual';

export interface UpstreamTrace {
  project?: string;
  commit?: string;
  ref?: string;
  pipelineId?: string;
  pipelineUrl?: string;
  message?: string;
}

export interface ReleaseRecord {
  action: Action;
  env: string;
  images: Record<string, string>;
  /** For promote: the source environment and the commit its images were read at. */
  fromEnv?: string;
  fromCommit?: string;
  /** For rollback and restore: the commit whose state was brought back. */
  restoredFrom?: string;
  upstream?: UpstreamTrace;
}

export const TRAILER = {
  action: 'Gitops-Flow-Action',
  env: 'Gitops-Flow-Env',
  image: 'Gitops-Flow-Image',
  fromEnv: 'Gitops-Flow-From-Env',
  fromCommit: 'Gitops-Flow-From-Commit',
  restoredFrom: 'Gitops-Flow-Restored-From',
  project: 'Upstream-Project',
  commit: 'Upstream-Commit',
  ref: 'Upstream-Ref',
  pipelineId: 'Upstream-Pipeline',
  pipelineUrl: 'Upstream-Pipeline-Url',
} as const;

/** One line, no control characters: trailer values and subjects must not break the format. */
function oneLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** The trace GitLab CI gives an app pipeline, from its predefined variables. */
export function traceFromGitlabEnv(env: NodeJS.ProcessEnv): UpstreamTrace {
  const t: UpstreamTrace = {};
  if (env.CI_PROJECT_PATH) t.project = env.CI_PROJECT_PATH;
  if (env.CI_COMMIT_SHA) t.commit = env.CI_COMMIT_SHA;
  if (env.CI_COMMIT_REF_NAME) t.ref = env.CI_COMMIT_REF_NAME;
  if (env.CI_PIPELINE_ID) t.pipelineId = env.CI_PIPELINE_ID;
  if (env.CI_PIPELINE_URL) t.pipelineUrl = env.CI_PIPELINE_URL;
  if (env.CI_COMMIT_MESSAGE) t.message = env.CI_COMMIT_MESSAGE;
  return t;
}

/** Builds the full commit message for a release. */
export function releaseMessage(r: ReleaseRecord): string {
  const imageList = Object.entries(r.images).map(([n, ref]) => `${n}=${ref}`);
  const subject =
    r.action === 'promote'
      ? `promote ${r.fromEnv} → ${r.env}: ${imageList.join(', ')}`
      : r.restoredFrom
        ? `${r.action} ${r.env} to ${r.restoredFrom.slice(0, 12)}: ${imageList.join(', ')}`
        : `${r.action} ${r.env}: ${imageList.join(', ')}`;
  const body: string[] = [];
  const u = r.upstream ?? {};
  if (u.commit || u.project) {
    body.push(
      oneLine(
        `CI pipeline ${u.pipelineId ?? '?'} of '${u.project ?? '?'}' built commit ${u.commit?.slice(0, 12) ?? '?'} on ref '${u.ref ?? '?'}'.`,
      ),
    );
  }
  if (u.message) body.push(`Upstream message:\n${indent(u.message.trim())}`);
  const trailers: [string, string | undefined][] = [
    [TRAILER.action, r.action],
    [TRAILER.env, r.env],
    ...imageList.map((i): [string, string] => [TRAILER.image, i]),
    [TRAILER.fromEnv, r.fromEnv],
    [TRAILER.fromCommit, r.fromCommit],
    [TRAILER.restoredFrom, r.restoredFrom],
    [TRAILER.project, u.project],
    [TRAILER.commit, u.commit],
    [TRAILER.ref, u.ref],
    [TRAILER.pipelineId, u.pipelineId],
    [TRAILER.pipelineUrl, u.pipelineUrl],
  ];
  const trailerBlock = trailers
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}: ${oneLine(v as string)}`)
    .join('\n');
  return [oneLine(`gitops-flow: ${subject}`).slice(0, 200), ...body, trailerBlock].join('\n\n') + '\n';
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** Parses `Key: value` trailer lines (as printed by git's `%(trailers:unfold)`) into a record. */
export function parseTrailers(lines: string[]): Partial<ReleaseRecord> & { trailers: Record<string, string[]> } {
  const trailers: Record<string, string[]> = {};
  for (const line of lines) {
    const m = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line.trim());
    if (!m) continue;
    const key = m[1] as string;
    trailers[key] = [...(trailers[key] ?? []), m[2] as string];
  }
  const first = (k: string) => trailers[k]?.[0];
  const images: Record<string, string> = {};
  for (const i of trailers[TRAILER.image] ?? []) {
    const eq = i.indexOf('=');
    if (eq > 0) images[i.slice(0, eq)] = i.slice(eq + 1);
  }
  const upstream: UpstreamTrace = {};
  const set = (key: keyof UpstreamTrace, trailer: string) => {
    const v = first(trailer);
    if (v) upstream[key] = v;
  };
  set('project', TRAILER.project);
  set('commit', TRAILER.commit);
  set('ref', TRAILER.ref);
  set('pipelineId', TRAILER.pipelineId);
  set('pipelineUrl', TRAILER.pipelineUrl);
  const action = first(TRAILER.action) as Action | undefined;
  return {
    trailers,
    ...(action && { action }),
    ...(first(TRAILER.env) && { env: first(TRAILER.env) }),
    images,
    ...(first(TRAILER.fromEnv) && { fromEnv: first(TRAILER.fromEnv) }),
    ...(first(TRAILER.fromCommit) && { fromCommit: first(TRAILER.fromCommit) }),
    ...(first(TRAILER.restoredFrom) && { restoredFrom: first(TRAILER.restoredFrom) }),
    upstream,
  };
}
