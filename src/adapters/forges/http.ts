/**
 * The one HTTP client for forge APIs (GitLab, GitHub): JSON in and out, the token in a header only
 * (never the URL), bounded retries with jitter on 429 and 5xx (honouring `Retry-After`), and every
 * refusal turned into a catalogue error that says which variable to set and which scopes it needs.
 */
import { GitopsError } from '../../core/errors.js';
import type { Logger } from '../../core/io.js';

export interface ForgeHttp {
  /** e.g. "GitLab" or "GitHub", for messages. */
  forge: string;
  /** API base without a trailing slash, e.g. https://gitlab.example.com/api/v4. */
  apiUrl: string;
  /** Headers sent with every request (the token among them). */
  headers: Record<string, string>;
  /** The variable the token came from, for hints. */
  tokenVariable: string;
  /** What the token needs, for hints: e.g. "the api scope". */
  scopes: string;
  log: Logger;
  /** Attempts for 429, 5xx and network errors (default 4). */
  attempts?: number;
  /** Longest wait we accept from a `Retry-After` before giving up (ms, default 60 s). */
  maxWaitMs?: number;
}

export interface ForgeResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** A response the caller may handle itself (e.g. 409 "already exists"). */
export class ForgeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path}: HTTP ${status}`);
    this.name = 'ForgeHttpError';
  }
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Sends one API request. `path` is appended to the API base (already URL-encoded by the caller).
 * Statuses in `accept` come back as a ForgeHttpError the caller can inspect; any other failure throws
 * a catalogue error.
 */
export async function forgeRequest<T>(
  http: ForgeHttp,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH',
  path: string,
  o: { body?: unknown; accept?: number[]; url?: string } = {},
): Promise<ForgeResponse<T>> {
  const url = o.url ?? `${http.apiUrl}${path}`;
  const attempts = http.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    http.log.debug(`$ ${method} ${url}`);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...http.headers, ...(o.body !== undefined && { 'Content-Type': 'application/json' }) },
        ...(o.body !== undefined && { body: JSON.stringify(o.body) }),
        // A redirect could carry the token header to another host: never followed, reported.
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (e) {
      if (attempt < attempts) {
        await sleep(backoff(attempt), http.log, `${http.forge} did not answer (${why(e)})`);
        continue;
      }
      throw new GitopsError({
        code: 'FORGE_UNAVAILABLE',
        exitCode: 1,
        value: origin(http.apiUrl),
        cause: e,
        message: `${http.forge} at ${origin(http.apiUrl)} did not answer ${method} ${path}: ${why(e)}.`,
        remediation: `Check the forge URL (git.forgeUrl, CI_SERVER_URL, GITHUB_API_URL) and that ${http.forge} is reachable from here, then run again.`,
      });
    }
    const body = await readBody(res);
    if (res.ok) return { status: res.status, body: body as T, headers: res.headers };
    if (res.status >= 300 && res.status < 400) {
      throw new GitopsError({
        code: 'FORGE_REQUEST_FAILED',
        exitCode: 1,
        value: `${method} ${path}`,
        details: [`Location: ${res.headers.get('location') ?? '(none)'}`],
        message: `${http.forge} answered ${method} ${path} with a redirect (HTTP ${res.status}), which is not followed with a token.`,
        remediation:
          'The project may have moved or been renamed: use its current URL as --env-repo (and git.forgeUrl), then run again.',
      });
    }
    if (o.accept?.includes(res.status)) throw new ForgeHttpError(res.status, body, method, path);
    const limited =
      res.status === 429 ||
      (res.status === 403 && (res.headers.has('retry-after') || res.headers.get('x-ratelimit-remaining') === '0'));
    if (limited || res.status >= 500) {
      const wait = retryAfter(res.headers) ?? backoff(attempt);
      if (attempt < attempts && wait <= (http.maxWaitMs ?? 60_000)) {
        await sleep(wait + jitter(), http.log, `${http.forge} answered ${res.status} to ${method} ${path}`);
        continue;
      }
      throw limited
        ? new GitopsError({
            code: 'FORGE_RATE_LIMITED',
            exitCode: 1,
            value: `${method} ${path}`,
            details: details(body),
            message: `${http.forge} rate-limited ${method} ${path} (HTTP ${res.status}) after ${attempt} attempt(s).`,
            remediation: `Run again${wait > 0 ? ` in ${Math.ceil(wait / 1000)} s or later` : ' later'}; fewer concurrent jobs using the same token help.`,
          })
        : new GitopsError({
            code: 'FORGE_UNAVAILABLE',
            exitCode: 1,
            value: `${method} ${path}`,
            details: details(body),
            message: `${http.forge} failed ${method} ${path} with HTTP ${res.status} after ${attempt} attempt(s).`,
            remediation: `${http.forge} has a problem on its side; run again later.`,
          });
    }
    throw statusError(http, res.status, method, path, body);
  }
}

/** The catalogue error for a refused request. */
/** Items per page of a list, and how many pages are read at most (GitLab and GitHub both cap per_page at 100). */
export const PER_PAGE = 100;
const MAX_PAGES = 10;

/**
 * GETs every page of a list (`page` 1, 2, … until a short page), up to MAX_PAGES × PER_PAGE items.
 * Both forges number pages from 1 and default to it, so the first request carries no `page`.
 */
export async function forgeList<T>(http: ForgeHttp, path: string, query: Record<string, string>): Promise<T[]> {
  const items: T[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const q = new URLSearchParams({ ...query, per_page: String(PER_PAGE), ...(page > 1 && { page: String(page) }) });
    const body = (await forgeRequest<T[]>(http, 'GET', `${path}?${q}`)).body;
    items.push(...body);
    if (body.length < PER_PAGE) break;
  }
  return items;
}

export function statusError(http: ForgeHttp, status: number, method: string, path: string, body: unknown): GitopsError {
  const d = details(body);
  const where = `${method} ${path}`;
  if (status === 401) {
    return new GitopsError({
      code: 'FORGE_AUTH_FAILED',
      exitCode: 1,
      value: http.tokenVariable,
      details: d,
      message: `${http.forge} refused the token in ${http.tokenVariable} (HTTP 401 on ${where}): it is missing, expired or revoked.`,
      remediation: `Set ${http.tokenVariable} to a valid token with ${http.scopes}.`,
    });
  }
  if (status === 403) {
    return new GitopsError({
      code: 'FORGE_FORBIDDEN',
      exitCode: 1,
      value: where,
      details: d,
      message: `${http.forge} forbade ${where} (HTTP 403): the token in ${http.tokenVariable} lacks a scope or a role.`,
      remediation: `Give the token ${http.scopes}, and its user (or bot) a role that may open ${http.forge === 'GitHub' ? 'pull' : 'merge'} requests in the env repo.`,
    });
  }
  if (status === 404) {
    return new GitopsError({
      code: 'FORGE_NOT_FOUND',
      exitCode: 1,
      value: where,
      details: d,
      message: `${http.forge} answered 404 to ${where}: the project does not exist, or the token in ${http.tokenVariable} cannot see it.`,
      remediation: `Check the env repo URL and git.forgeUrl, and that the token's user or bot is a member of the project (${http.scopes}).`,
    });
  }
  return new GitopsError({
    code: 'FORGE_REQUEST_FAILED',
    exitCode: 1,
    value: where,
    details: d,
    message: `${http.forge} refused ${where} with HTTP ${status}.`,
    remediation: `Fix what ${http.forge} reports above (labels, assignees, branch names), then run again.`,
  });
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** What the forge said, as lines (GitLab's `message`/`error`, GitHub's `message` and `errors`). */
export function details(body: unknown): string[] {
  if (body === undefined || body === null) return [];
  if (typeof body === 'string') return [body.trim().slice(0, 300)];
  const b = body as { message?: unknown; error?: unknown; errors?: unknown };
  const lines: string[] = [];
  for (const v of [b.message, b.error]) {
    if (typeof v === 'string') lines.push(v);
    else if (Array.isArray(v)) lines.push(...v.map(String));
    else if (v && typeof v === 'object')
      lines.push(...Object.entries(v).map(([k, x]) => `${k}: ${[x].flat().join(', ')}`));
  }
  if (Array.isArray(b.errors))
    lines.push(
      ...b.errors.map((e) =>
        typeof e === 'object' && e && 'message' in e ? String((e as { message: unknown }).message) : JSON.stringify(e),
      ),
    );
  return lines.map((l) => l.slice(0, 300)).slice(0, 8);
}

/** `Retry-After` in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfter(h: Headers): number | undefined {
  const v = h.get('retry-after');
  if (v === null) {
    const reset = h.get('x-ratelimit-reset');
    return reset && h.get('x-ratelimit-remaining') === '0' ? Math.max(0, Number(reset) * 1000 - Date.now()) : undefined;
  }
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const backoff = (attempt: number) => 500 * 2 ** (attempt - 1);
const jitter = () => Math.floor(Math.random() * 250);
const why = (e: unknown) => (e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e));
const origin = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
};

function sleep(ms: number, log: Logger, reason: string): Promise<void> {
  log.info(`  ${reason}; retrying in ${(ms / 1000).toFixed(1)} s`);
  return new Promise((r) => setTimeout(r, ms));
}
