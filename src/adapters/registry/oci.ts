/**
 * A client of the OCI distribution API for one question: which manifest digest does a tag point to?
 * `HEAD /v2/<name>/manifests/<tag>` with the manifest media types in `Accept`, read `Docker-Content-Digest`
 * (or GET the manifest and hash it when a registry omits the header). https, except for registries the
 * user explicitly allows over plain http.
 */
import { createHash } from 'node:crypto';
import { failed, invalid, quote } from '../../core/errors.js';
import { isValidDigest } from '../../core/image-ref.js';
import type { Logger } from '../../core/io.js';
import { isLoopback } from '../../core/loopback.js';
import { basicHeader, fetchToken, parseChallenge, unauthorized, unreachable } from './auth.js';
import { type Credentials, credentialsFor, HUB_HOST } from './credentials.js';

/** What a manifest request accepts: OCI index and manifest, Docker manifest list and v2 manifest. */
export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

export interface RegistryContext {
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** host[:port] of registries reached over plain http (the job's GITOPS_FLOW_INSECURE_REGISTRIES). */
  insecure?: string[];
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** Where an image name lives: registry host, repository path, and the URL base. */
export interface Location {
  host: string;
  repository: string;
  base: string;
}

/** docker's normalisation: no host → Docker Hub, a one-part path on Docker Hub → `library/<name>`. */
export function locate(name: string, insecure: string[]): Location {
  const slash = name.indexOf('/');
  const first = slash > 0 ? name.slice(0, slash) : '';
  const hasHost = slash > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let host = hasHost ? first : 'docker.io';
  let repository = hasHost ? name.slice(slash + 1) : name;
  if (host === 'docker.io' || host === 'index.docker.io') {
    host = HUB_HOST;
    if (!repository.includes('/')) repository = `library/${repository}`;
  }
  const plain = insecure.includes(host) || isLoopback(host);
  return { host, repository, base: `${plain ? 'http' : 'https'}://${host}` };
}

export class RegistryClient {
  private readonly tokens = new Map<string, string>();
  private readonly creds = new Map<string, Promise<Credentials | undefined>>();
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly ctx: RegistryContext) {
    this.fetch = ctx.fetch ?? globalThis.fetch;
    this.timeoutMs = ctx.timeoutMs ?? 30_000;
  }

  /** The digest (`sha256:…`) of the manifest `name:tag` points to. */
  async resolveDigest(name: string, tag: string): Promise<string> {
    const loc = locate(name, this.ctx.insecure ?? []);
    const url = `${loc.base}/v2/${loc.repository}/manifests/${encodeURIComponent(tag)}`;
    const shown = `${name}:${tag}`;
    this.ctx.log.debug(`HEAD ${url}`);
    const head = await this.request(loc, url, 'HEAD');
    if (head.status === 404) throw tagNotFound(shown, loc);
    if (!head.ok) throw this.statusError(head, loc, shown);
    const header = head.headers.get('docker-content-digest');
    if (header) return checkDigest(header, loc, shown);
    // Some registries (and proxies) omit the header: hash the manifest we are served.
    this.ctx.log.debug(`GET ${url} (no Docker-Content-Digest on HEAD)`);
    const get = await this.request(loc, url, 'GET');
    if (get.status === 404) throw tagNotFound(shown, loc);
    if (!get.ok) throw this.statusError(get, loc, shown);
    const body = Buffer.from(await get.arrayBuffer());
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const claimed = get.headers.get('docker-content-digest');
    if (claimed && claimed !== digest) {
      throw failed(
        'REGISTRY_DIGEST_MISMATCH',
        `${loc.host} served a manifest for ${shown} whose sha256 (${digest}) is not the digest it claims (${claimed}).`,
        'Do not pin this image: the registry or a proxy in between altered the manifest. Try again, and tell the registry operator if it persists.',
      );
    }
    return digest;
  }

  /** A request with the auth the registry asks for: anonymous first, then as its challenge says. */
  private async request(loc: Location, url: string, method: 'HEAD' | 'GET'): Promise<Response> {
    const key = `${loc.host}/${loc.repository}`;
    const send = async (authorization?: string) => {
      try {
        return await this.fetch(url, {
          method,
          headers: { Accept: MANIFEST_TYPES.join(', '), ...(authorization && { Authorization: authorization }) },
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (e) {
        throw unreachable(loc.base, e);
      }
    };
    const cached = this.tokens.get(key);
    let res = await send(cached);
    if (res.status !== 401) return res;
    const challenge = parseChallenge(res.headers.get('www-authenticate') ?? '');
    const credentials = await this.credentials(loc.host);
    let authorization: string;
    if (challenge?.scheme === 'bearer') {
      const token = await fetchToken({
        challenge,
        scope: `repository:${loc.repository}:pull`,
        credentials,
        registry: loc.host,
        fetch: this.fetch,
        timeoutMs: this.timeoutMs,
        plainHttpAllowed: (host) => isLoopback(host) || (this.ctx.insecure ?? []).includes(host),
      });
      authorization = `Bearer ${token}`;
    } else if (challenge?.scheme === 'basic' && credentials?.password !== undefined) {
      authorization = basicHeader(credentials);
    } else {
      throw unauthorized(
        loc.host,
        credentials,
        `it answered 401${challenge ? ` with a ${challenge.scheme} challenge` : ''}`,
      );
    }
    this.tokens.set(key, authorization);
    res = await send(authorization);
    if (res.status === 401)
      throw unauthorized(
        loc.host,
        credentials,
        `it answered 401 to ${credentials ? 'our credentials' : 'an anonymous token'}`,
      );
    return res;
  }

  private credentials(host: string): Promise<Credentials | undefined> {
    let c = this.creds.get(host);
    if (!c) {
      c = credentialsFor(host, this.ctx);
      this.creds.set(host, c);
    }
    return c;
  }

  private statusError(res: Response, loc: Location, shown: string) {
    if (res.status === 403)
      return unauthorized(loc.host, undefined, `it answered 403 (forbidden) for ${loc.repository}`);
    const retry = res.headers.get('retry-after');
    return failed(
      'REGISTRY_FAILED',
      `The registry ${loc.host} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''} for ${shown}.`,
      res.status === 429
        ? `The registry rate-limits us; try again${retry ? ` after ${retry} s` : ' later'} (logging in often raises the limit).`
        : 'Try again later; if it persists, the registry is down or misconfigured.',
    );
  }
}

function tagNotFound(shown: string, loc: Location) {
  return invalid(
    'IMAGE_TAG_NOT_FOUND',
    `The registry ${loc.host} has no manifest for ${shown} (repository ${loc.repository}).`,
    'Check the image name and tag, and that the image was pushed before suggesting it.',
    shown,
  );
}

function checkDigest(digest: string, loc: Location, shown: string): string {
  if (isValidDigest(digest)) return digest;
  throw failed(
    'REGISTRY_FAILED',
    `The registry ${loc.host} returned the digest ${quote(digest)} for ${shown}; gitops-flow pins sha256 digests only.`,
    'Pin this image by hand (digest: in the overlay) if the registry uses another algorithm.',
  );
}

/**
 * Registries reached over plain http: only those the caller allows (GITOPS_FLOW_INSECURE_REGISTRIES,
 * comma-separated host[:port]). The env repo's registries.insecure may only repeat them: it cannot
 * downgrade where the caller's registry credentials go (a warning names what it tried).
 */
export function insecureRegistries(env: NodeJS.ProcessEnv, configured: string[], log: Logger): string[] {
  const allowed = (env.GITOPS_FLOW_INSECURE_REGISTRIES ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const ignored = configured.filter((h) => !allowed.includes(h));
  if (ignored.length > 0)
    log.warn(
      `registries.insecure in gitops-flow.yaml is ignored for ${ignored.join(', ')}: plain http to a registry is the job's choice (GITOPS_FLOW_INSECURE_REGISTRIES).`,
    );
  return allowed;
}
