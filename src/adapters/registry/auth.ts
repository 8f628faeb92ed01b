/**
 * Registry authentication as the distribution token spec describes it (and Docker Hub, GCR/Artifact
 * Registry and GitLab's registry do it): a 401 carries `WWW-Authenticate: Bearer realm=…,service=…,
 * scope=…`; we get a token from the realm (GET with basic auth when we have a password, anonymous
 * otherwise, or POST an OAuth2 refresh token for an `identitytoken`) and retry with `Bearer <token>`.
 * A `Basic` challenge is answered with the user and password directly.
 */
import { failed, quote } from '../../core/errors.js';
import type { Credentials } from './credentials.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate header, which may hold several challenges (`Bearer realm="…",service="…",
 * Basic realm="…"`, or repeated headers joined with ", "): a bare word starts a challenge, `key=value`
 * pairs (quoted or not) belong to the one before. Prefers Bearer, else the first.
 */
export function parseChallenge(header: string): Challenge | undefined {
  const challenges: Challenge[] = [];
  const re = /([A-Za-z_][\w.-]*)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*)))?/g;
  for (const m of header.matchAll(re)) {
    const [, name, quoted, plain] = m as unknown as [string, string, string | undefined, string | undefined];
    if (quoted === undefined && plain === undefined) challenges.push({ scheme: name.toLowerCase(), params: {} });
    else {
      const current = challenges.at(-1);
      if (current)
        current.params[name.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (plain as string);
    }
  }
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges[0];
}

export function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
}

export interface TokenRequest {
  challenge: Challenge;
  /** The scope to ask for when the challenge names none, e.g. `repository:team/app:pull`. */
  scope: string;
  credentials: Credentials | undefined;
  /** The registry host, for messages. */
  registry: string;
  fetch: typeof fetch;
  timeoutMs: number;
  /** May the realm be plain http? (Only for a loopback or an allowed insecure registry.) */
  plainHttpAllowed: (host: string) => boolean;
}

/** Gets a bearer token from the challenge's realm; throws REGISTRY_UNAUTHORIZED when it refuses us. */
export async function fetchToken(r: TokenRequest): Promise<string> {
  const realm = r.challenge.params.realm;
  if (!realm || !/^https?:\/\//.test(realm)) {
    throw failed(
      'REGISTRY_FAILED',
      `${r.registry} sent a Bearer challenge without a usable realm (${quote(realm ?? '')}).`,
      'The registry is misconfigured (its token realm must be an http(s) URL); tell its operator.',
    );
  }
  const service = r.challenge.params.service;
  const scope = r.challenge.params.scope ?? r.scope;
  const c = r.credentials;
  const url = new URL(realm);
  // Credentials go to the realm: never in clear over the network.
  if (url.protocol === 'http:' && !r.plainHttpAllowed(url.host)) {
    throw failed(
      'REGISTRY_FAILED',
      `${r.registry} asks for credentials at a plain-http token realm (${url.origin}${url.pathname}); not sent.`,
      `The registry's token realm must be https; or, if that host is trusted on this network, let the job allow it: GITOPS_FLOW_INSECURE_REGISTRIES=${url.host}.`,
    );
  }
  let init: RequestInit;
  if (c?.identityToken) {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: c.identityToken,
      client_id: 'gitops-flow',
      ...(service && { service }),
      scope,
    });
    init = { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() };
  } else {
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    init = { method: 'GET', headers: c?.password !== undefined ? { Authorization: basicHeader(c) } : {} };
  }
  let res: Response;
  try {
    // A redirect would carry the credentials (or the refresh token in the body) elsewhere: not followed.
    res = await r.fetch(url, { ...init, signal: AbortSignal.timeout(r.timeoutMs), redirect: 'manual' });
  } catch (e) {
    throw unreachable(`${url.origin}${url.pathname}`, e);
  }
  if (res.status >= 300 && res.status < 400) {
    throw failed(
      'REGISTRY_FAILED',
      `The token endpoint of ${r.registry} (${url.origin}${url.pathname}) redirected to ${quote(res.headers.get('location') ?? '')}; not followed with credentials.`,
      "Tell the registry's operator to announce the final token URL as the realm.",
    );
  }
  if (res.status === 401 || res.status === 403) {
    throw unauthorized(r.registry, c, `its token endpoint ${url.origin}${url.pathname} answered ${res.status}`);
  }
  if (!res.ok) {
    throw failed(
      'REGISTRY_FAILED',
      `The token endpoint of ${r.registry} (${url.origin}${url.pathname}) answered ${res.status}.`,
      'Try again later; if it persists, the registry or its auth service is down.',
    );
  }
  const body = (await res.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown };
  const token =
    typeof body.token === 'string' && body.token
      ? body.token
      : typeof body.access_token === 'string'
        ? body.access_token
        : '';
  if (!token) {
    throw failed(
      'REGISTRY_FAILED',
      `The token endpoint of ${r.registry} answered without a token.`,
      "The registry's auth service is misconfigured; tell its operator.",
    );
  }
  return token;
}

/** A 401/403 that authentication did not cure. */
export function unauthorized(registry: string, c: Credentials | undefined, why: string) {
  return failed(
    'REGISTRY_UNAUTHORIZED',
    `Not authorized by the registry ${registry}: ${why}${c ? ` (credentials from ${c.source})` : ' (no credentials found)'}.`,
    c
      ? `Check the user and password or token for ${registry} (docker login ${registry}), and that it may pull this repository.`
      : `Log in: docker login ${registry} (gitops-flow reads $DOCKER_CONFIG/config.json or ~/.docker/config.json).`,
  );
}

/** A registry (or its token endpoint) we could not talk to at all. */
export function unreachable(where: string, e: unknown) {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const why =
    e instanceof Error && e.name === 'TimeoutError'
      ? 'timed out'
      : (cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e)));
  return failed(
    'REGISTRY_UNREACHABLE',
    `Could not reach the registry at ${where}: ${why}.`,
    'Check the registry host and your network; a registry serving plain http (other than on localhost) must be allowed by the job: GITOPS_FLOW_INSECURE_REGISTRIES=<host:port> (registries.insecure of the env repo is not enough).',
    undefined,
    e,
  );
}
