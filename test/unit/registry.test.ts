/**
 * The registry client's pure parts, table-driven: name normalisation, WWW-Authenticate parsing, docker
 * config.json lookups; and its protocol decisions against a fake `fetch` that records what is sent (the
 * real registry is exercised in test/integration/digest-pinning.test.ts).
 */
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseChallenge } from '../../src/adapters/registry/auth.js';
import { credentialsFor } from '../../src/adapters/registry/credentials.js';
import { renderedImages } from '../../src/adapters/registry/digests.js';
import { locate, MANIFEST_TYPES, RegistryClient } from '../../src/adapters/registry/oci.js';
import { createLogger } from '../../src/core/io.js';
import { tempDir, writeFiles } from '../helpers/git-fixtures.js';

const log = () =>
  createLogger({ cwd: '/', env: {}, stdout: new PassThrough(), stderr: new PassThrough() }, { verbose: false });

describe('locate: docker name normalisation', () => {
  it.each([
    ['nginx', [], 'https://registry-1.docker.io', 'library/nginx'],
    ['team/app', [], 'https://registry-1.docker.io', 'team/app'],
    ['docker.io/nginx', [], 'https://registry-1.docker.io', 'library/nginx'],
    ['index.docker.io/team/app', [], 'https://registry-1.docker.io', 'team/app'],
    ['gcr.io/my-project/app', [], 'https://gcr.io', 'my-project/app'],
    ['europe-west1-docker.pkg.dev/p/repo/app', [], 'https://europe-west1-docker.pkg.dev', 'p/repo/app'],
    ['registry.gitlab.com/group/project/app', [], 'https://registry.gitlab.com', 'group/project/app'],
    ['localhost:5000/app', [], 'http://localhost:5000', 'app'],
    ['localhost/app', [], 'http://localhost', 'app'],
    ['127.0.0.1:5000/team/app', [], 'http://127.0.0.1:5000', 'team/app'],
    ['127.1.2.3/team/app', [], 'http://127.1.2.3', 'team/app'],
    ['[::1]:5000/team/app', [], 'http://[::1]:5000', 'team/app'],
    ['registry.internal:5000/team/app', ['registry.internal:5000'], 'http://registry.internal:5000', 'team/app'],
    ['registry.internal:5001/team/app', ['registry.internal:5000'], 'https://registry.internal:5001', 'team/app'],
    ['127.0.0.1.example.com/team/app', [], 'https://127.0.0.1.example.com', 'team/app'],
    ['localhost.example.com/app', [], 'https://localhost.example.com', 'app'],
  ] as const)('%s (insecure %j) → %s/v2/%s', (name, insecure, base, repository) => {
    const loc = locate(name, [...insecure]);
    expect(loc.base).toBe(base);
    expect(loc.repository).toBe(repository);
  });
});

describe('parseChallenge', () => {
  it.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      'bearer',
      { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' },
    ],
    [
      'Bearer realm="https://gitlab.com/jwt/auth",service="container_registry",scope="repository:group/project:pull,push"',
      'bearer',
      {
        realm: 'https://gitlab.com/jwt/auth',
        service: 'container_registry',
        scope: 'repository:group/project:pull,push',
      },
    ],
    [
      'Bearer realm="https://europe-west1-docker.pkg.dev/v2/token",service="europe-west1-docker.pkg.dev"',
      'bearer',
      { realm: 'https://europe-west1-docker.pkg.dev/v2/token', service: 'europe-west1-docker.pkg.dev' },
    ],
    ['Basic realm="Registry Realm"', 'basic', { realm: 'Registry Realm' }],
    ['bearer realm=https://r.example/token, service=r', 'bearer', { realm: 'https://r.example/token', service: 'r' }],
    // Several challenges (or repeated headers joined with ", "): each keeps its own parameters; Bearer wins.
    [
      'Bearer realm="https://auth.example/token",service="reg", Basic realm="Registry Realm"',
      'bearer',
      { realm: 'https://auth.example/token', service: 'reg' },
    ],
    [
      'Basic realm="Registry, Realm", Bearer realm="https://a.example/t",scope="repository:a:pull"',
      'bearer',
      { realm: 'https://a.example/t', scope: 'repository:a:pull' },
    ],
  ])('%s', (header, scheme, params) => {
    expect(parseChallenge(header)).toEqual({ scheme, params });
  });
});

describe('credentialsFor: docker config.json', () => {
  const home = (config: object) => {
    const dir = tempDir('gitops-flow-home-');
    writeFiles(dir, { '.docker/config.json': JSON.stringify(config) });
    return { HOME: dir };
  };
  const auth = (s: string) => Buffer.from(s).toString('base64');

  it.each([
    [
      'a host key',
      { auths: { 'r.example:5000': { auth: auth('u:p:with:colons') } } },
      'r.example:5000',
      { username: 'u', password: 'p:with:colons' },
    ],
    [
      'an https URL key',
      { auths: { 'https://r.example/v1/': { auth: auth('u:p') } } },
      'r.example',
      { username: 'u', password: 'p' },
    ],
    [
      "Docker Hub's legacy key",
      { auths: { 'https://index.docker.io/v1/': { auth: auth('hub:pw') } } },
      'registry-1.docker.io',
      { username: 'hub', password: 'pw' },
    ],
    [
      'an identity token',
      { auths: { 'r.example': { auth: auth('<token>:'), identitytoken: 'refresh-me' } } },
      'r.example',
      { identityToken: 'refresh-me' },
    ],
    ['another host only', { auths: { 'other.example': { auth: auth('u:p') } } }, 'r.example', undefined],
  ])('%s', async (_what, config, host, expected) => {
    const c = await credentialsFor(host, { env: home(config), log: log() });
    if (expected === undefined) expect(c).toBeUndefined();
    else expect(c).toMatchObject(expected);
  });

  it('no config.json: anonymous', async () => {
    expect(await credentialsFor('r.example', { env: { HOME: tempDir() }, log: log() })).toBeUndefined();
  });
});

/** A fake fetch: answers from `handler`, records method, URL, headers and body of every request. */
function fakeFetch(handler: (url: string, init: RequestInit) => Response) {
  const calls: { method: string; url: string; headers: Record<string, string>; body?: string }[] = [];
  const f = (async (input: string | URL, init: RequestInit = {}) => {
    const url = String(input);
    calls.push({
      method: init.method ?? 'GET',
      url,
      headers: { ...(init.headers as Record<string, string>) },
      ...(typeof init.body === 'string' && { body: init.body }),
    });
    return handler(url, init);
  }) as typeof fetch;
  return { f, calls };
}

describe('RegistryClient (fake fetch)', () => {
  const challenge = (realm: string) =>
    new Response(null, { status: 401, headers: { 'WWW-Authenticate': `Bearer realm="${realm}",service="reg"` } });

  it('credentials never go to a plain-http token realm of a remote registry, nor follow a redirect', async () => {
    const home = tempDir('gitops-flow-home-');
    writeFiles(home, {
      '.docker/config.json': JSON.stringify({
        auths: { 'r.example': { auth: Buffer.from('u:secret-pw').toString('base64') } },
      }),
    });
    const plain = fakeFetch((url) =>
      url.startsWith('https://r.example/')
        ? challenge('http://auth.example/token')
        : new Response('no', { status: 500 }),
    );
    await expect(
      new RegistryClient({ env: { HOME: home }, log: log(), fetch: plain.f }).resolveDigest('r.example/app', '1'),
    ).rejects.toThrow(/plain-http token realm/);
    expect(plain.calls.map((c) => c.url).filter((u) => u.startsWith('http://'))).toEqual([]);
    const moved = fakeFetch((url) =>
      url.startsWith('https://r.example/')
        ? challenge('https://auth.example/token')
        : new Response(null, { status: 307, headers: { Location: 'http://elsewhere.example/steal' } }),
    );
    await expect(
      new RegistryClient({ env: { HOME: home }, log: log(), fetch: moved.f }).resolveDigest('r.example/app', '1'),
    ).rejects.toThrow(/redirected to "http:\/\/elsewhere.example\/steal"; not followed/);
  });

  const digestOf = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

  it('HEAD with every manifest media type; Docker-Content-Digest is the answer', async () => {
    const d = digestOf('x');
    const { f, calls } = fakeFetch(() => new Response(null, { status: 200, headers: { 'Docker-Content-Digest': d } }));
    expect(await new RegistryClient({ env: {}, log: log(), fetch: f }).resolveDigest('gcr.io/p/app', '1.0')).toBe(d);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'HEAD', url: 'https://gcr.io/v2/p/app/manifests/1.0' });
    expect(calls[0]?.headers.Accept?.split(', ')).toEqual(MANIFEST_TYPES);
  });

  it('no Docker-Content-Digest on HEAD: GET the manifest and hash its bytes', async () => {
    const body = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}';
    const { f, calls } = fakeFetch((_u, init) => new Response(init.method === 'GET' ? body : null, { status: 200 }));
    expect(await new RegistryClient({ env: {}, log: log(), fetch: f }).resolveDigest('r.example/app', '1')).toBe(
      digestOf(body),
    );
    expect(calls.map((c) => c.method)).toEqual(['HEAD', 'GET']);
  });

  it('a Bearer challenge: anonymous token from the realm (access_token accepted), one token for several tags', async () => {
    const d = digestOf('y');
    const { f, calls } = fakeFetch((url, init) => {
      if (url.startsWith('https://auth.example/token')) return Response.json({ access_token: 'tok' });
      const auth = (init.headers as Record<string, string>).Authorization;
      return auth === 'Bearer tok'
        ? new Response(null, { status: 200, headers: { 'Docker-Content-Digest': d } })
        : new Response(null, {
            status: 401,
            headers: { 'WWW-Authenticate': 'Bearer realm="https://auth.example/token",service="reg"' },
          });
    });
    const client = new RegistryClient({ env: {}, log: log(), fetch: f });
    expect(await client.resolveDigest('nginx', '1.27')).toBe(d);
    expect(await client.resolveDigest('nginx', '1.28')).toBe(d);
    const tokenCalls = calls.filter((c) => c.url.startsWith('https://auth.example'));
    expect(tokenCalls).toEqual([
      {
        method: 'GET',
        url: 'https://auth.example/token?service=reg&scope=repository%3Alibrary%2Fnginx%3Apull',
        headers: {},
      },
    ]);
    expect(calls[0]?.url).toBe('https://registry-1.docker.io/v2/library/nginx/manifests/1.27');
  });

  it('an identitytoken is exchanged by POSTing an OAuth2 refresh_token form, never in the URL', async () => {
    const home = tempDir('gitops-flow-home-');
    writeFiles(home, {
      '.docker/config.json': JSON.stringify({ auths: { 'r.example': { identitytoken: 'refresh-secret' } } }),
    });
    const { f, calls } = fakeFetch((url, init) => {
      if (url.startsWith('https://r.example/token')) return Response.json({ token: 'tok' });
      return (init.headers as Record<string, string>).Authorization === 'Bearer tok'
        ? new Response(null, { status: 200, headers: { 'Docker-Content-Digest': digestOf('z') } })
        : new Response(null, {
            status: 401,
            headers: {
              'WWW-Authenticate':
                'Bearer realm="https://r.example/token",service="r.example",scope="repository:app:pull"',
            },
          });
    });
    await new RegistryClient({ env: { HOME: home }, log: log(), fetch: f }).resolveDigest('r.example/app', '1');
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.url).toBe('https://r.example/token');
    expect(Object.fromEntries(new URLSearchParams(post?.body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-secret',
      client_id: 'gitops-flow',
      service: 'r.example',
      scope: 'repository:app:pull',
    });
    expect(calls.every((c) => !c.url.includes('refresh-secret'))).toBe(true);
  });

  it('a Basic challenge is answered with the user and password of config.json', async () => {
    const home = tempDir('gitops-flow-home-');
    const basic = Buffer.from('u:p').toString('base64');
    writeFiles(home, { '.docker/config.json': JSON.stringify({ auths: { 'r.example': { auth: basic } } }) });
    const { f, calls } = fakeFetch((_u, init) =>
      (init.headers as Record<string, string>).Authorization === `Basic ${basic}`
        ? new Response(null, { status: 200, headers: { 'Docker-Content-Digest': digestOf('b') } })
        : new Response(null, { status: 401, headers: { 'WWW-Authenticate': 'Basic realm="r"' } }),
    );
    expect(
      await new RegistryClient({ env: { HOME: home }, log: log(), fetch: f }).resolveDigest('r.example/app', '1'),
    ).toBe(digestOf('b'));
    expect(calls).toHaveLength(2);
  });

  it.each([
    [403, 'REGISTRY_UNAUTHORIZED'],
    [404, 'IMAGE_TAG_NOT_FOUND'],
    [500, 'REGISTRY_FAILED'],
  ])('HEAD answering %i is %s', async (status, code) => {
    const { f } = fakeFetch(() => new Response(null, { status }));
    await expect(
      new RegistryClient({ env: {}, log: log(), fetch: f }).resolveDigest('r.example/app', '1'),
    ).rejects.toMatchObject({ code });
  });
});

describe('renderedImages', () => {
  it('finds containers, init and ephemeral containers at any depth (Deployments, CronJobs, Pods)', () => {
    const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec: { template: { spec: { initContainers: [{ name: init, image: "busybox:1" }], containers: [{ name: app, image: "r/app:1@sha256:${'a'.repeat(64)}" }] } } }
---
apiVersion: batch/v1
kind: CronJob
metadata: { name: nightly }
spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: job, image: "r/job:2" }] } } } } }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: c }
data: { containers: "not a list of containers" }
`;
    expect(renderedImages(manifest)).toEqual([
      { image: 'busybox:1', where: 'Deployment/web container init' },
      { image: `r/app:1@sha256:${'a'.repeat(64)}`, where: 'Deployment/web container app' },
      { image: 'r/job:2', where: 'CronJob/nightly container job' },
    ]);
  });
});
