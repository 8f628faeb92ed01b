/**
 * Digest pinning against a real registry on loopback: Debian's docker-registry (the CNCF distribution
 * server) with images this test pushes itself through the OCI API — once open, once demanding token auth
 * from a token server in this process (real JWTs the registry verifies against the test's own cert).
 * The digest gitops-flow resolves must equal the Docker-Content-Digest the registry answered the push with.
 *
 * This file: requireDigest refuses unpinned renders.
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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

const UAT = 'kustomizations/overlays/uat/kustomization.yaml';
const PROD = 'kustomizations/overlays/prod/kustomization.yaml';

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
