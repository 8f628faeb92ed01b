import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { cloneRemote, commitFiles, exampleFiles, gitSync, makeRemote } from '../helpers/git-fixtures.js';
import { type Registry, startRegistry } from '../helpers/registry.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const UAT = 'kustomizations/overlays/uat/kustomization.yaml';
const PROD = 'kustomizations/overlays/prod/kustomization.yaml';
const show = (remoteDir: string, ref: string, path: string) => gitSync(remoteDir, ['show', `${ref}:${path}`]);

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
