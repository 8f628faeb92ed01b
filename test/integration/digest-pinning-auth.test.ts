/**
 * Digest pinning against a real registry on loopback: Debian's docker-registry (the CNCF distribution
 * server) with images this test pushes itself through the OCI API — once open, once demanding token auth
 * from a token server in this process (real JWTs the registry verifies against the test's own cert).
 * The digest gitops-flow resolves must equal the Docker-Content-Digest the registry answered the push with.
 *
 * This file: registries that demand token or basic auth.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verbArgv } from '../../dagger/src/argv.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { exampleFiles, gitSync, makeRemote, tempDir } from '../helpers/git-fixtures.js';
import { type Registry, startRegistry, startTokenServer, type TokenServer } from '../helpers/registry.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const show = (remoteDir: string, ref: string, path: string) => gitSync(remoteDir, ['show', `${ref}:${path}`]);

/** A HOME whose ~/.docker/config.json holds `config`. */
function dockerHome(config: object): string {
  const home = tempDir('gitops-flow-home-');
  mkdirSync(join(home, '.docker'));
  writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify(config));
  return home;
}

const basicAuth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

describe('digest pinning: a registry that demands token auth', () => {
  let token: TokenServer;
  let registry: Registry;
  let pushed: string;
  const password = 'correct horse battery staple';
  beforeAll(async () => {
    token = await startTokenServer({ ci: password });
    registry = await startRegistry({ token });
    pushed = await registry.push('team/private-app', '2.0.0', { user: 'ci' });
  });
  afterAll(async () => {
    await registry?.stop();
    await token?.close();
  });
  const suggestArgs = (remote: { url: string }) => [
    'suggest',
    '--pin-digest',
    '--push-to-target',
    '--env-repo',
    remote.url,
    '--env',
    'dev',
    '--image',
    `application-image=${registry.host}/team/private-app:2.0.0`,
  ];

  it('anonymous access is refused by the registry itself', async () => {
    const res = await fetch(`${registry.url}/v2/team/private-app/manifests/2.0.0`, { method: 'HEAD' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain(`Bearer realm="${token.realm}"`);
  });

  it('resolves with the credentials of ~/.docker/config.json: basic auth at the token endpoint, never in the URL', async () => {
    const remote = makeRemote(exampleFiles());
    const home = dockerHome({ auths: { [`https://${registry.host}`]: { auth: basicAuth('ci', password) } } });
    const before = token.requests.length;
    const r = await runCli(['--verbose', ...suggestArgs(remote)], { env: cleanEnv({ HOME: home }) });
    expect(r.code, r.stderr).toBe(0);
    expect(show(remote.dir, 'main', DEV)).toContain(`digest: ${pushed}`);
    const mine = token.requests.slice(before);
    expect(mine).toEqual([
      {
        method: 'GET',
        url: `/token?service=${token.service}&scope=repository%3Ateam%2Fprivate-app%3Apull`,
        user: 'ci',
      },
    ]);
    expect(r.stderr).not.toContain(password);
    expect(r.stderr).not.toContain(basicAuth('ci', password));
    // Nor the bearer token (a JWT: "eyJ…"), even with --verbose.
    expect(r.stderr + r.stdout).not.toMatch(/eyJ[\w-]{10,}/);
    expect(r.stderr).toContain(`HEAD http://${registry.host}/v2/team/private-app/manifests/2.0.0`);
  });

  it('DOCKER_CONFIG points at another config folder; a credential helper (a STUB script) may hold the password', async () => {
    const helperDir = tempDir('gitops-flow-helper-');
    // STUB docker-credential-pass: answers the credential helper protocol for one server.
    writeFileSync(
      join(helperDir, 'docker-credential-pass'),
      `#!/bin/sh\n# STUB docker-credential-pass\nread server\n[ "$1" = get ] && [ "$server" = "${registry.host}" ] || exit 1\nprintf '{"ServerURL":"%s","Username":"ci","Secret":"${password}"}' "$server"\n`,
    );
    chmodSync(join(helperDir, 'docker-credential-pass'), 0o755);
    const configDir = tempDir('gitops-flow-docker-config-');
    writeFileSync(join(configDir, 'config.json'), JSON.stringify({ credHelpers: { [registry.host]: 'pass' } }));
    const base = cleanEnv({ DOCKER_CONFIG: configDir });
    const remote = makeRemote(exampleFiles());
    const r = await runCli(suggestArgs(remote), { env: { ...base, PATH: `${helperDir}:${base.PATH}` } });
    expect(r.code, r.stderr).toBe(0);
    expect(show(remote.dir, 'main', DEV)).toContain(`digest: ${pushed}`);
  });

  it('contract: the Dagger suggest argv with pinDigest, credentials as the module mounts them (DOCKER_CONFIG=<dir>)', async () => {
    const remote = makeRemote(exampleFiles());
    const configDir = tempDir('gitops-flow-docker-config-');
    writeFileSync(
      join(configDir, 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { auth: basicAuth('ci', password) } } }),
    );
    const argv = verbArgv('suggest', {
      envRepo: remote.url,
      env: 'dev',
      images: [`application-image=${registry.host}/team/private-app:2.0.0`],
      pinDigest: true,
    });
    expect(argv).toContain('--pin-digest');
    const r = await runCli(argv, { env: cleanEnv({ DOCKER_CONFIG: configDir }) });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { branch: string };
    expect(show(remote.dir, out.branch, DEV)).toContain(`digest: ${pushed}`);
  });

  it('a wrong password is a clear 401 error naming the registry and where the credentials came from, without the password', async () => {
    const remote = makeRemote(exampleFiles());
    const home = dockerHome({ auths: { [registry.host]: { auth: basicAuth('ci', 'wrong-password') } } });
    const r = await runCli(['--json', ...suggestArgs(remote)], { env: cleanEnv({ HOME: home }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error[REGISTRY_UNAUTHORIZED]: Not authorized by the registry ${registry.host}`);
    expect(r.stderr).toContain('answered 401');
    expect(r.stderr).toContain(join(home, '.docker', 'config.json'));
    expect(r.stderr).toContain(`docker login ${registry.host}`);
    for (const out of [r.stderr, r.stdout]) {
      expect(out).not.toContain('wrong-password');
      expect(out).not.toContain(basicAuth('ci', 'wrong-password'));
    }
    expect(remote.pushes()).toHaveLength(0);
  });

  it('no credentials: the anonymous token has no access, and the error says to log in', async () => {
    const remote = makeRemote(exampleFiles());
    const r = await runCli(suggestArgs(remote), { env: cleanEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[REGISTRY_UNAUTHORIZED]');
    expect(r.stderr).toContain('no credentials found');
    expect(r.stderr).toContain(`hint: Log in: docker login ${registry.host}`);
  });
});

describe('digest pinning: a registry with basic auth (htpasswd)', () => {
  let registry: Registry;
  let pushed: string;
  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: { ci: 'basic-secret' } });
    pushed = await registry.push('team/app', '3.0.0', { user: 'ci' });
  });
  afterAll(() => registry?.stop());
  const run = (auth: string) => {
    const remote = makeRemote(exampleFiles());
    const home = dockerHome({ auths: { [registry.host]: { auth } } });
    return runCli(
      [
        'suggest',
        '--pin-digest',
        '--push-to-target',
        '--env-repo',
        remote.url,
        '--env',
        'dev',
        '--image',
        `application-image=${registry.host}/team/app:3.0.0`,
      ],
      { env: cleanEnv({ HOME: home }) },
    ).then((r) => ({ ...r, remote }));
  };

  it('answers the Basic challenge with the config.json credentials', async () => {
    const res = await fetch(`${registry.url}/v2/team/app/manifests/3.0.0`, { method: 'HEAD' });
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="gitops-flow-test"/);
    const r = await run(basicAuth('ci', 'basic-secret'));
    expect(r.code, r.stderr).toBe(0);
    expect(show(r.remote.dir, 'main', DEV)).toContain(`digest: ${pushed}`);
  });

  it("in a GitLab CI job, GitLab's registry (CI_REGISTRY) is reached with CI_REGISTRY_USER and CI_REGISTRY_PASSWORD", async () => {
    const remote = makeRemote(exampleFiles());
    const ci = { CI_REGISTRY: registry.host, CI_REGISTRY_USER: 'ci', CI_REGISTRY_PASSWORD: 'basic-secret' };
    const r = await runCli(
      [
        '--verbose',
        'suggest',
        '--pin-digest',
        '--push-to-target',
        '--env-repo',
        remote.url,
        '--env',
        'dev',
        '--image',
        `application-image=${registry.host}/team/app:3.0.0`,
      ],
      { env: cleanEnv(ci) },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(show(remote.dir, 'main', DEV)).toContain(`digest: ${pushed}`);
    expect(r.stderr).not.toContain('basic-secret');
    // Another registry does not get them.
    const other = await runCli(
      [
        'suggest',
        '--pin-digest',
        '--env-repo',
        remote.url,
        '--env',
        'dev',
        '--image',
        `application-image=${registry.host}/team/app:3.0.0`,
      ],
      { env: cleanEnv({ ...ci, CI_REGISTRY: 'registry.gitlab.example.com' }) },
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('no credentials found');
  });

  it('a wrong password: REGISTRY_UNAUTHORIZED, exit 1, the password nowhere', async () => {
    const r = await run(basicAuth('ci', 'not-the-secret'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `error[REGISTRY_UNAUTHORIZED]: Not authorized by the registry ${registry.host}: it answered 401 to our credentials`,
    );
    expect(r.stderr).not.toContain('not-the-secret');
  });
});
