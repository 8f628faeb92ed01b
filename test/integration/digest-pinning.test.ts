/**
 * Digest pinning against a real registry on loopback: Debian's docker-registry (the CNCF distribution
 * server) with images this test pushes itself through the OCI API — once open, once demanding token auth
 * from a token server in this process (real JWTs the registry verifies against the test's own cert).
 * The digest gitops-flow resolves must equal the Docker-Content-Digest the registry answered the push with.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verbArgv } from '../../dagger/src/argv.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import {
  cloneRemote,
  commitFiles,
  exampleFiles,
  gitSync,
  makeRemote,
  makeRepo,
  tempDir,
} from '../helpers/git-fixtures.js';
import { type Registry, startRegistry, startTokenServer, type TokenServer } from '../helpers/registry.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const UAT = 'kustomizations/overlays/uat/kustomization.yaml';
const PROD = 'kustomizations/overlays/prod/kustomization.yaml';
const show = (remoteDir: string, ref: string, path: string) => gitSync(remoteDir, ['show', `${ref}:${path}`]);

/** A HOME whose ~/.docker/config.json holds `config`. */
function dockerHome(config: object): string {
  const home = tempDir('gitops-flow-home-');
  mkdirSync(join(home, '.docker'));
  writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify(config));
  return home;
}

const basicAuth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

describe('digest pinning: an open registry', () => {
  let registry: Registry;
  let pushed: string;
  beforeAll(async () => {
    registry = await startRegistry();
    pushed = await registry.push('team/pick-manager', '1.4.2');
  });
  afterAll(() => registry?.stop());
  const env = () => cleanEnv();

  it('suggest --pin-digest writes newTag and the digest the registry reported on push; kustomize renders tag@digest', async () => {
    expect(pushed).toMatch(/^sha256:[a-f0-9]{64}$/);
    const remote = makeRemote(exampleFiles());
    const image = `${registry.host}/team/pick-manager`;
    const r = await runCli(
      [
        '--json',
        'suggest',
        '--pin-digest',
        '--push-to-target',
        '--env-repo',
        remote.url,
        '--env',
        'dev',
        '--image',
        `application-image=${image}:1.4.2`,
      ],
      { env: env() },
    );
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const overlay = show(remote.dir, 'main', DEV);
    expect(overlay).toContain(`newName: ${image}`);
    expect(overlay).toMatch(/newTag: "?1\.4\.2"?\n/);
    expect(overlay).toContain(`digest: ${pushed}`);
    expect(gitSync(remote.dir, ['log', '-1', '--format=%(trailers:key=Gitops-Flow-Image,valueonly)', 'main'])).toBe(
      `application-image=${image}:1.4.2@${pushed}`,
    );

    const clone = cloneRemote(remote);
    const render = await runCli(['-C', clone, 'render', '--env', 'dev'], { env: env() });
    expect(render.stdout).toContain(`image: ${image}:1.4.2@${pushed}`);
    // status and history show name:tag@digest (DESIGN.md's JSON shape).
    const status = JSON.parse(
      (await runCli(['-C', clone, '--json', 'status', '--no-cluster'], { env: env() })).stdout,
    ) as { environments: Record<string, { images: Record<string, string> }> };
    expect(status.environments.dev?.images['application-image']).toBe(`${image}:1.4.2@${pushed}`);
    const history = JSON.parse(
      (await runCli(['-C', clone, '--json', 'history', '--env', 'dev', '--limit', '1'], { env: env() })).stdout,
    ) as { images: Record<string, string> }[];
    expect(history[0]?.images['application-image']).toBe(`${image}:1.4.2@${pushed}`);
  });

  it('a Docker v2 manifest and a multi-platform OCI index: the digest is what was pushed under the tag (the index, not a platform image)', async () => {
    // distribution 2.8 answers 404 for an OCI index to a HEAD whose Accept does not list the index type:
    // this test fails if MANIFEST_TYPES loses it.
    const docker = await registry.push('team/docker-built', '1.0.0', { docker: true });
    const multi = await registry.pushIndex('team/multi-arch', '1.0.0', ['linux/amd64', 'linux/arm64']);
    expect(multi.manifests).not.toContain(multi.index);
    const remote = makeRemote(exampleFiles());
    const r = await runCli(
      [
        'suggest',
        '--pin-digest',
        '--push-to-target',
        '--env-repo',
        remote.url,
        '--env',
        'dev',
        '--image',
        `application-image=${registry.host}/team/docker-built:1.0.0`,
        '--image',
        `order-manager-image=${registry.host}/team/multi-arch:1.0.0`,
      ],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    const overlay = show(remote.dir, 'main', DEV);
    expect(overlay).toContain(`digest: ${docker}`);
    expect(overlay).toContain(`digest: ${multi.index}`);
  });

  it('an env with requireDigest pins without the flag; a tag moved since is pinned to what it is now', async () => {
    const remote = makeRemote(
      exampleFiles({ 'gitops-flow.yaml': 'environments:\n  dev: {}\n  uat: {}\n  prod: { requireDigest: true }\n' }),
    );
    const moved = await registry.push('team/pick-manager', 'stable', { content: 'first\n' });
    const now = await registry.push('team/pick-manager', 'stable', { content: 'second\n' });
    expect(now).not.toBe(moved);
    const r = await runCli(
      [
        'suggest',
        '--push-to-target',
        '--env-repo',
        remote.url,
        '--env',
        'prod',
        '--image',
        `application-image=${registry.host}/team/pick-manager:stable`,
      ],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`application-image: ${registry.host}/team/pick-manager:stable is ${now}`);
    expect(show(remote.dir, 'main', PROD)).toContain(`digest: ${now}`);
  });

  it('a tag given with its matching digest is kept; a repeated suggestion is no change', async () => {
    const remote = makeRemote(exampleFiles());
    const argv = [
      'suggest',
      '--pin-digest',
      '--push-to-target',
      '--env-repo',
      remote.url,
      '--env',
      'dev',
      '--image',
      `application-image=${registry.host}/team/pick-manager:1.4.2@${pushed}`,
    ];
    expect((await runCli(argv, { env: env() })).code).toBe(0);
    const again = await runCli(argv, { env: env() });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('No change');
    expect(show(remote.dir, 'main', DEV)).toContain(`digest: ${pushed}`);
  });

  it('promote carries the digest to the next env', async () => {
    const dir = cloneRemote(makeRemote(exampleFiles()));
    const pinned = (exampleFiles()[DEV] as string).replace('newTag: "1.0.0"', `newTag: "1.4.2"\n    digest: ${pushed}`);
    commitFiles(dir, { [DEV]: pinned }, 'dev pinned');
    gitSync(dir, ['push', '--quiet', 'origin', 'main']);
    const r = await runCli(['-C', dir, '--json', 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy'], {
      env: env(),
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { images: Record<string, string> };
    expect(out.images['application-image']).toBe(`registry.example.com/team/pick-manager:1.4.2@${pushed}`);
    expect(gitSync(dir, ['show', `origin/main:${UAT}`])).toContain(`digest: ${pushed}`);
  });

  it('without --pin-digest or requireDigest the step is skipped: no registry is asked', async () => {
    const remote = makeRemote(exampleFiles());
    const r = await runCli(
      [
        'suggest',
        '--push-to-target',
        '--env-repo',
        remote.url,
        '--env',
        'dev',
        '--image',
        'application-image=127.0.0.1:9/nowhere/app:1.0.0',
      ],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('- images/pin-digest: nothing to do');
    expect(show(remote.dir, 'main', DEV)).not.toContain('digest:');
  });

  it('plain http only on loopback and for registries allowed explicitly: otherwise https, which this registry does not speak', async () => {
    // 0.0.0.0 reaches this machine on Linux, but it is not a loopback name, so it gets https by default.
    const other = registry.host.replace('127.0.0.1', '0.0.0.0');
    const remote = makeRemote(exampleFiles());
    const r = await runCli([
      'suggest',
      '--pin-digest',
      '--env-repo',
      remote.url,
      '--env',
      'dev',
      '--image',
      `application-image=${other}/team/pick-manager:1.4.2`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[REGISTRY_UNREACHABLE]');
    expect(r.stderr).toContain(`https://${other}`);
    expect(r.stderr).toContain('GITOPS_FLOW_INSECURE_REGISTRIES');
    // Listed in the env repo's gitops-flow.yaml alone: ignored (issue 16: the env repo does not decide).
    const configured = makeRemote(exampleFiles({ 'gitops-flow.yaml': `registries:\n  insecure: ["${other}"]\n` }));
    const argv = [
      'suggest',
      '--pin-digest',
      '--push-to-target',
      '--env-repo',
      configured.url,
      '--env',
      'dev',
      '--image',
      `application-image=${other}/team/pick-manager:1.4.2`,
    ];
    const refused = await runCli(argv);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('registries.insecure in gitops-flow.yaml is ignored');
    // Allowed by the job (the caller).
    const ok = await runCli(argv, { env: cleanEnv({ GITOPS_FLOW_INSECURE_REGISTRIES: other }) });
    expect(ok.code, ok.stderr).toBe(0);
    expect(show(configured.dir, 'main', DEV)).toContain(`digest: ${pushed}`);
  });
});

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

describe('requireDigest: deploy refuses an unpinned render before applying anything', () => {
  const config = 'environments:\n  dev: {}\n  uat: {}\n  prod: { requireDigest: true }\n';
  const digest = `sha256:${'a'.repeat(64)}`;

  /** A kubectl STUB that records its argv and applies nothing: the refusal must come before any call. */
  function recordingKubectl(): { env: NodeJS.ProcessEnv; log: string } {
    const dir = tempDir('gitops-flow-stubs-');
    const log = join(dir, 'calls.log');
    writeFileSync(
      join(dir, 'kubectl'),
      `#!/bin/sh\n# STUB kubectl: records its argv, applies nothing\necho "$*" >> "${log}"\nexit 1\n`,
    );
    chmodSync(join(dir, 'kubectl'), 0o755);
    const base = cleanEnv();
    return { env: { ...base, PATH: `${dir}:${base.PATH}` }, log };
  }

  it('deploy --env prod: exit 2, the unpinned images and the fix named, kubectl never run', async () => {
    const dir = makeRepo(exampleFiles({ 'gitops-flow.yaml': config }));
    const kubectl = recordingKubectl();
    const r = await runCli(['-C', dir, 'deploy', '--env', 'prod'], { env: kubectl.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[DIGEST_REQUIRED]: prod requires images pinned by digest');
    expect(r.stderr).toContain('Deployment/pick-manager container app: registry.example.com/team/pick-manager:1.0.0');
    expect(r.stderr).toContain(
      'Deployment/pick-manager container order-manager: registry.example.com/team/order-manager:2.3.0',
    );
    expect(r.stderr).toContain('Nothing was applied');
    expect(r.stderr).toContain('hint: Pin them: gitops-flow suggest --pin-digest --env prod');
    expect(existsSync(kubectl.log)).toBe(false);
  });

  it('one image pinned is not enough; envs without requireDigest deploy tags as before', async () => {
    const prod = (exampleFiles()[PROD] as string).replace('newTag: "1.0.0"', `newTag: "1.0.0"\n    digest: ${digest}`);
    const dir = makeRepo(exampleFiles({ 'gitops-flow.yaml': config, [PROD]: prod }));
    const kubectl = recordingKubectl();
    const r = await runCli(['-C', dir, 'deploy', '--env', 'prod'], { env: kubectl.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('1 image(s) without one: registry.example.com/team/order-manager:2.3.0');
    expect(existsSync(kubectl.log)).toBe(false);
    // uat does not require digests: deploy goes on to kubectl (the stub fails it).
    const uat = await runCli(['-C', dir, 'deploy', '--env', 'uat'], { env: kubectl.env });
    expect(uat.stderr).not.toContain('DIGEST_REQUIRED');
    expect(existsSync(kubectl.log)).toBe(true);
  });

  it('promote into prod refuses images without digests before committing, with or without deploy', async () => {
    const remote = makeRemote(
      exampleFiles({
        'gitops-flow.yaml': config,
        [UAT]: (exampleFiles()[UAT] as string).replace('"1.0.0"', '"1.4.2"'),
      }),
    );
    const dir = cloneRemote(remote);
    const head = gitSync(dir, ['rev-parse', 'HEAD']);
    const kubectl = recordingKubectl();
    for (const extra of [[], ['--no-deploy']]) {
      const r = await runCli(['-C', dir, 'promote', '--from', 'uat', '--to', 'prod', ...extra], { env: kubectl.env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'error[DIGEST_REQUIRED]: prod requires images pinned by digest; uat has 2 image(s) without one',
      );
      expect(r.stderr).toContain('application-image: registry.example.com/team/pick-manager:1.4.2');
      expect(r.stderr).toContain('hint: Pin them in uat first');
      expect(gitSync(dir, ['rev-parse', 'HEAD'])).toBe(head);
    }
    expect(remote.pushes()).toHaveLength(0);
    expect(existsSync(kubectl.log)).toBe(false);
  });

  it('rollback and restore to a state without digests refuse the same way and leave no commit', async () => {
    const dir = cloneRemote(makeRemote(exampleFiles({ 'gitops-flow.yaml': config })));
    const unpinned = gitSync(dir, ['rev-parse', 'HEAD']);
    const pinned = (exampleFiles()[PROD] as string)
      .replace('newTag: "1.0.0"', `newTag: "1.0.0"\n    digest: ${digest}`)
      .replace('newTag: "2.3.0"', `newTag: "2.3.0"\n    digest: ${digest}`);
    const head = commitFiles(dir, { [PROD]: pinned }, 'prod pinned');
    gitSync(dir, ['push', '--quiet', 'origin', 'main']);
    const kubectl = recordingKubectl();
    for (const argv of [
      ['rollback', '--env', 'prod'],
      ['restore', '--env', 'prod', '--at', unpinned],
    ]) {
      const r = await runCli(['-C', dir, ...argv], { env: kubectl.env });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toContain('error[DIGEST_REQUIRED]');
      expect(gitSync(dir, ['rev-parse', 'HEAD'])).toBe(head);
    }
    expect(existsSync(kubectl.log)).toBe(false);
  });

  it('promote of one pinned image still refuses to deploy a render with another unpinned one, and leaves no commit', async () => {
    const uat = (exampleFiles()[UAT] as string).replace('newTag: "1.0.0"', `newTag: "1.4.2"\n    digest: ${digest}`);
    const remote = makeRemote(exampleFiles({ 'gitops-flow.yaml': config, [UAT]: uat }));
    const dir = cloneRemote(remote);
    const head = gitSync(dir, ['rev-parse', 'HEAD']);
    const kubectl = recordingKubectl();
    const r = await runCli(['-C', dir, 'promote', '--from', 'uat', '--to', 'prod', '--image', 'application-image'], {
      env: kubectl.env,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error[DIGEST_REQUIRED]: prod requires images pinned by digest; its render runs 1 image(s) without one: registry.example.com/team/order-manager:2.3.0',
    );
    expect(gitSync(dir, ['rev-parse', 'HEAD'])).toBe(head);
    expect(remote.pushes()).toHaveLength(0);
    expect(existsSync(kubectl.log)).toBe(false);
  });
});
