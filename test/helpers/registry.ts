/**
 * A real image registry on loopback: Debian's `docker-registry` (the CNCF distribution server 2.8) run
 * as a plain process with storage in a temp dir, optionally demanding token auth from a token server
 * that runs here (node:http) and signs JWTs with a key made for the run. Images are pushed through the
 * OCI distribution API (blob uploads, then the manifest), exactly as a build pushes them.
 * Fails loudly when the binary is missing: .ci/run installs it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tempDir } from './git-fixtures.js';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export interface TokenServer {
  /** `http://127.0.0.1:<port>/token` */
  realm: string;
  service: string;
  issuer: string;
  certFile: string;
  /** Every token request: method, URL and whether it carried basic auth (never the password). */
  requests: { method: string; url: string; user?: string }[];
  /** Issues a token for `user` directly (the test's own pushes). */
  issue(user: string, scope: string): string;
  close(): Promise<void>;
}

export interface Registry {
  /** `127.0.0.1:<port>` */
  host: string;
  url: string;
  token?: TokenServer;
  /**
   * Pushes a one-layer image `<repo>:<tag>` (an OCI manifest, or with `docker` a Docker v2 schema 2
   * one); returns the Docker-Content-Digest of the manifest PUT.
   */
  push(repo: string, tag: string, o?: { content?: string; user?: string; docker?: boolean }): Promise<string>;
  /** Pushes one image per platform (by digest) and an OCI index of them as `<repo>:<tag>`. */
  pushIndex(repo: string, tag: string, platforms: string[]): Promise<{ index: string; manifests: string[] }>;
  log(): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * libtrust's key id, which distribution 2.8 matches against a token's `kid` header: sha256 of the
 * DER (PKIX) public key, cut to 240 bits, base32, in 12 groups of 4 joined by ":".
 */
export function libtrustKeyId(publicKeyDer: Buffer): string {
  const hash = createHash('sha256').update(publicKeyDer).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of hash) bits += b.toString(2).padStart(8, '0');
  let b32 = '';
  for (let i = 0; i < bits.length; i += 5) b32 += alphabet[Number.parseInt(bits.slice(i, i + 5), 2)];
  return (b32.match(/.{4}/g) as string[]).join(':');
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** A token server as distribution's token spec describes it; users are `{ name: password }`. */
export async function startTokenServer(users: Record<string, string>): Promise<TokenServer> {
  const dir = tempDir('gitops-flow-token-');
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=gitops-flow test token issuer',
    ],
    { stdio: 'pipe' },
  );
  const key = createPrivateKey(readFileSync(keyFile));
  const kid = libtrustKeyId(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  const service = 'gitops-flow-test-registry';
  const issuer = 'gitops-flow-test-issuer';
  const requests: TokenServer['requests'] = [];

  const issue = (user: string, scope: string) => {
    const now = Math.floor(Date.now() / 1000);
    // scope: repository:<name>:<actions>; the name may hold ":" only before a port, never here.
    const [type, name, actions] = scope.split(':') as [string, string, string];
    const header = { typ: 'JWT', alg: 'RS256', kid };
    const claims = {
      iss: issuer,
      sub: user,
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access: user ? [{ type, name, actions: actions.split(',') }] : [],
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
  };

  const userOf = (req: IncomingMessage): string | undefined | null => {
    const auth = req.headers.authorization;
    if (!auth) return undefined;
    const [user, ...rest] = Buffer.from(auth.replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':');
    return user !== undefined && users[user] === rest.join(':') ? user : null;
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const user = userOf(req);
    requests.push({ method: req.method ?? '', url: req.url ?? '', ...(typeof user === 'string' && { user }) });
    if (user === null) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'wrong user or password' }] }));
      return;
    }
    // Anonymous callers get a token without access, as Docker Hub does for private repositories.
    const token = issue(user ?? '', url.searchParams.get('scope') ?? 'repository:none:pull');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    // Docker Hub answers both names; distribution clients read either.
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    requests,
    issue,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * Starts `docker-registry serve` on a free loopback port — token auth with `token`, or basic auth with
 * `htpasswd` users (bcrypt, written by Apache's htpasswd) — and waits until it answers.
 */
export async function startRegistry(
  o: { token?: TokenServer; htpasswd?: Record<string, string> } = {},
): Promise<Registry> {
  if (!existsSync(REGISTRY_BINARY)) {
    throw new Error(
      `${REGISTRY_BINARY} is missing: apt-get install -y docker-registry (the CNCF distribution server; ci/setup.sh installs it).`,
    );
  }
  const dir = tempDir('gitops-flow-registry-');
  if (o.htpasswd) {
    if (!existsSync('/usr/bin/htpasswd'))
      throw new Error('/usr/bin/htpasswd is missing: apt-get install -y apache2-utils (ci/setup.sh installs it).');
    // htpasswd -i reads the password on stdin (not argv); -B: bcrypt, the only scheme distribution accepts.
    const lines = Object.entries(o.htpasswd).map(([user, password]) =>
      execFileSync('htpasswd', ['-Bin', user], { input: password, encoding: 'utf8' }).trim(),
    );
    writeFileSync(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
  }
  let child: ChildProcess | undefined;
  let output = '';
  let host = '';
  for (let attempt = 0; attempt < 5 && !host; attempt++) {
    const port = await freePort();
    const auth = o.token
      ? `auth:\n  token:\n    realm: ${o.token.realm}\n    service: ${o.token.service}\n    issuer: ${o.token.issuer}\n    rootcertbundle: ${o.token.certFile}\n`
      : o.htpasswd
        ? `auth:\n  htpasswd:\n    realm: gitops-flow-test\n    path: ${join(dir, 'htpasswd')}\n`
        : '';
    writeFileSync(
      join(dir, 'config.yml'),
      `version: 0.1
log:
  level: info
  accesslog: { disabled: true }
storage:
  filesystem: { rootdirectory: ${join(dir, 'data')} }
http:
  addr: 127.0.0.1:${port}
  secret: ${randomBytes(16).toString('hex')}
${auth}`,
    );
    output = '';
    const c = spawn(REGISTRY_BINARY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    c.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && c.exitCode === null) {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined);
      if (res && (res.status === 200 || res.status === 401)) {
        host = `127.0.0.1:${port}`;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!host) c.kill('SIGKILL');
  }
  if (!host || !child) throw new Error(`docker-registry did not start:\n${output}`);
  const proc = child;
  const url = `http://${host}`;

  const authFor = (repo: string, user?: string): Record<string, string> => {
    if (o.token) return { Authorization: `Bearer ${o.token.issue(user ?? 'pusher', `repository:${repo}:pull,push`)}` };
    const [name, password] = Object.entries(o.htpasswd ?? {}).find(([u]) => !user || u === user) ?? [];
    return name === undefined
      ? {}
      : { Authorization: `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}` };
  };

  const uploadBlob = async (repo: string, blob: Buffer, headers: Record<string, string>) => {
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
    if (start.status !== 202) throw new Error(`blob upload start: ${start.status} ${await start.text()}`);
    const location = new URL(start.headers.get('location') as string, url);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { ...headers, 'Content-Type': 'application/octet-stream' },
      body: new Uint8Array(blob),
    });
    if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
    return { digest, size: blob.length };
  };

  /** One layer (a gzipped tar holding one file whose content makes the image unique), its config, the manifest. */
  const pushImage = async (
    repo: string,
    tag: string | undefined,
    p: { content?: string; user?: string; docker?: boolean; architecture?: string },
  ) => {
    const headers = authFor(repo, p.user);
    const tar = tarOf('hello.txt', p.content ?? `${repo}:${tag}\n`);
    const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    const config = Buffer.from(
      JSON.stringify({
        architecture: p.architecture ?? 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: [diffId] },
      }),
    );
    const c = await uploadBlob(repo, config, headers);
    const l = await uploadBlob(repo, gzipSync(tar), headers);
    const types = p.docker
      ? {
          manifest: 'application/vnd.docker.distribution.manifest.v2+json',
          config: 'application/vnd.docker.container.image.v1+json',
          layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        }
      : {
          manifest: OCI_MANIFEST,
          config: 'application/vnd.oci.image.config.v1+json',
          layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
        };
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: types.manifest,
        config: { mediaType: types.config, digest: c.digest, size: c.size },
        layers: [{ mediaType: types.layer, digest: l.digest, size: l.size }],
      }),
    );
    // An index refers to its platform images by digest; they need no tag.
    const reference = tag ?? `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    const res = await fetch(`${url}/v2/${repo}/manifests/${reference}`, {
      method: 'PUT',
      headers: { ...headers, 'Content-Type': types.manifest },
      body: new Uint8Array(manifest),
    });
    if (res.status !== 201) throw new Error(`manifest put: ${res.status} ${await res.text()}`);
    return { digest: res.headers.get('docker-content-digest') as string, size: manifest.length };
  };

  return {
    host,
    url,
    ...(o.token && { token: o.token }),
    async push(repo, tag, p = {}) {
      return (await pushImage(repo, tag, p)).digest;
    },
    async pushIndex(repo, tag, platforms) {
      const children = [];
      for (const platform of platforms) {
        const [os, architecture] = platform.split('/') as [string, string];
        const m = await pushImage(repo, undefined, { content: `${repo}:${tag} for ${platform}\n`, architecture });
        children.push({ mediaType: OCI_MANIFEST, digest: m.digest, size: m.size, platform: { os, architecture } });
      }
      const index = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: children,
      });
      const res = await fetch(`${url}/v2/${repo}/manifests/${tag}`, {
        method: 'PUT',
        headers: { ...authFor(repo), 'Content-Type': 'application/vnd.oci.image.index.v1+json' },
        body: index,
      });
      if (res.status !== 201) throw new Error(`index put: ${res.status} ${await res.text()}`);
      return { index: res.headers.get('docker-content-digest') as string, manifests: children.map((c) => c.digest) };
    },
    log: () => output,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}

/** A ustar archive with one regular file. */
function tarOf(name: string, content: string): Buffer {
  const body = Buffer.from(content);
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, pad, Buffer.alloc(1024)]);
}

export interface StubRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  requests: { method: string; url: string; authorization?: string }[];
  close(): Promise<void>;
}

/**
 * A STUB registry (node:http) for answers the real one never gives: a missing Docker-Content-Digest, a
 * manifest that does not hash to its claimed digest, 429s, odd challenges. Named a stub wherever used.
 */
export async function serveStubRegistry(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<StubRegistry> {
  const requests: StubRegistry['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      ...(req.headers.authorization && { authorization: req.headers.authorization }),
    });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
