/**
 * Issue 16, reproductions 1 and 2: committed symlinks that lead out of the env repo. Every file
 * gitops-flow reads or writes is resolved with its symlinks (existing or dangling, parents too) and
 * must stay inside the repo: else exit 2 PATH_OUTSIDE_REPO naming the path, nothing read, written,
 * committed or pushed, and no echo of the file's contents.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliResult, cleanEnv, runCli } from '../helpers/cli.js';
import { commitFiles, exampleFiles, gitSync, tempDir } from '../helpers/git-fixtures.js';
import { hostileRemote, hostileRepo } from '../helpers/hostile-repo.js';

const DEV = 'kustomizations/overlays/dev';
const SECRET = 'gfcanary-docker-auth-never-leaves';

function expectRefused(r: CliResult, path: string) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain('error[PATH_OUTSIDE_REPO]');
  expect(r.stderr).toContain(path);
}

/** A directory outside every repo, and a file there holding what an attacker wants. */
function outside(): { dir: string; file: string } {
  const dir = tempDir('gitops-flow-outside-');
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ auths: { 'registry.example.com': { auth: SECRET } } }));
  return { dir, file };
}

/** An app pipeline's suggest that pushes one image straight to the (hostile) env repo's dev overlay. */
const pushSuggest = (url: string, env: NodeJS.ProcessEnv) =>
  runCli(
    [
      'suggest',
      '--env-repo',
      url,
      '--env',
      'dev',
      '--push-to-target',
      '--image',
      'application-image=reg.example.com/app:9',
    ],
    { env },
  );

describe('reads never leave the repo', () => {
  it('suggest --push-to-target with a kustomization linked to ~/.docker/config.json: exit 2, nothing pushed', async () => {
    const home = tempDir('gitops-flow-home-');
    mkdirSync(join(home, '.docker'));
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { x: { auth: SECRET } } }));
    const remote = hostileRemote({ [`${DEV}/kustomization.yaml`]: join(home, '.docker', 'config.json') });
    const before = remote.pushes().length;
    const r = await pushSuggest(remote.url, cleanEnv({ HOME: home }));
    expectRefused(r, `${DEV}/kustomization.yaml`);
    expect(remote.pushes()).toHaveLength(before);
    expect(gitSync(remote.dir, ['log', '--all', '-p'])).not.toContain(SECRET);
    expect(r.stderr).not.toContain(SECRET);
  });

  it('gitops-flow.yaml linked to /etc/passwd: exit 2, and its contents are not echoed', async () => {
    const dir = hostileRepo({ 'gitops-flow.yaml': '/etc/passwd' });
    const r = await runCli(['-C', dir, 'status', '--no-cluster'], { env: cleanEnv() });
    expectRefused(r, 'gitops-flow.yaml');
    expect(r.stderr).not.toMatch(/root:|nologin|\/bin\/(ba)?sh/);
  });

  it('an overlay folder kustomization linked out of the repo is refused before it is read, even when not an environment', async () => {
    // Environments are found by reading every folder's kustomization; that read was neither confined
    // nor size-capped (a link to /dev/zero cost 5 s and 600 MB per folder, on every command).
    const o = outside();
    const dir = hostileRepo({ 'kustomizations/overlays/zz/kustomization.yaml': o.file });
    const r = await runCli(['-C', dir, 'status', '--no-cluster'], { env: cleanEnv() });
    expectRefused(r, 'kustomizations/overlays/zz/kustomization.yaml');
    expect(r.stderr).not.toContain(SECRET);
  });

  it('a run: script linked out of the repo is refused', async () => {
    const o = outside();
    writeFileSync(join(o.dir, 'evil.sh'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
    const dir = hostileRepo(
      { 'scripts/smoke.sh': join(o.dir, 'evil.sh') },
      { 'gitops-flow.yaml': 'pipelines:\n  smoke:\n    steps:\n      - run: scripts/smoke.sh\n' },
    );
    const r = await runCli(['-C', dir, 'run', 'smoke'], { env: cleanEnv() });
    expectRefused(r, 'scripts/smoke.sh');
    expect(r.stderr).not.toContain('ran');
  });
});

describe('writes never leave the repo', () => {
  it.each([
    ['a committed .gitops-flow/rendered/dev.yaml link', { '.gitops-flow/rendered/dev.yaml': 'TARGET/dev.yaml' }],
    ['a committed .gitops-flow directory link', { '.gitops-flow': 'TARGET' }],
  ])('render --out .gitops-flow/rendered/dev.yaml through %s: exit 2, nothing written', async (_, spec) => {
    const o = outside();
    const links = Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, v.replace('TARGET', o.dir)]));
    const dir = hostileRepo(links);
    const r = await runCli(['-C', dir, 'render', '--env', 'dev', '--out', '.gitops-flow/rendered/dev.yaml'], {
      env: cleanEnv(),
    });
    expectRefused(r, '.gitops-flow/rendered/dev.yaml');
    expect(readdirSync(o.dir)).toEqual(['config.json']);
  });

  it('deploy through a committed .gitops-flow link: exit 2 before anything is written or applied', async () => {
    const o = outside();
    const dir = hostileRepo({ '.gitops-flow': o.dir });
    const r = await runCli(['-C', dir, 'deploy', '--env', 'dev'], { env: cleanEnv() });
    expectRefused(r, '.gitops-flow/rendered/dev.yaml');
    expect(readdirSync(o.dir)).toEqual(['config.json']);
  });

  it.each([
    ['a symlinked directory', 'linked/out.yaml', (o: string) => ({ linked: o })],
    ['a dangling link', 'dangling.yaml', (o: string) => ({ 'dangling.yaml': join(o, 'new', 'file.yaml') })],
    ['a link in a parent of a new directory', 'a/b/c.yaml', (o: string) => ({ a: join(o, 'x') })],
  ])('render --out through %s: exit 2, nothing created', async (_, out, links) => {
    const o = outside();
    const dir = hostileRepo(links(o.dir));
    const r = await runCli(['-C', dir, 'render', '--env', 'dev', '--out', out], { env: cleanEnv() });
    expectRefused(r, out);
    expect(readdirSync(o.dir)).toEqual(['config.json']);
  });

  it('rollback with a committed gitops-flow-pin.yaml link: exit 2, no file outside, no commit', async () => {
    const o = outside();
    const target = join(o.dir, 'pin-target.yaml');
    const dir = hostileRepo({ [`${DEV}/gitops-flow-pin.yaml`]: target });
    // A release to roll back from.
    const file = `${DEV}/kustomization.yaml`;
    commitFiles(dir, { [file]: readFileSync(join(dir, file), 'utf8').replace('1.0.0', '2.0.0') }, 'release 2.0.0');
    const head = gitSync(dir, ['rev-parse', 'HEAD']);
    const r = await runCli(['-C', dir, 'rollback', '--env', 'dev', '--no-deploy', '--no-push'], {
      env: cleanEnv(),
    });
    expectRefused(r, 'gitops-flow-pin.yaml');
    expect(existsSync(target)).toBe(false);
    expect(gitSync(dir, ['rev-parse', 'HEAD'])).toBe(head);
  });

  it('suggest with a committed link named like the overlay temp file: nothing written outside, the overlay stays a file', async () => {
    // The edited overlay went to `<kustomization>.gitops-flow.tmp` first: a committed link of that name
    // carried the write to any file the job can write (~/.bashrc), before the rename was caught.
    const o = outside();
    const target = join(o.dir, 'bashrc');
    const remote = hostileRemote({ [`${DEV}/kustomization.yaml.gitops-flow.tmp`]: target });
    const r = await pushSuggest(remote.url, cleanEnv());
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(target)).toBe(false);
    expect(gitSync(remote.dir, ['ls-tree', 'main', `${DEV}/kustomization.yaml`])).toMatch(/^100644 blob /);
    expect(gitSync(remote.dir, ['show', `main:${DEV}/kustomization.yaml`])).toContain('reg.example.com/app');
  });

  it('deploy --dry-run through a committed .gitops-flow/rendered/dev.crds.yaml link: exit 2, nothing written outside', async () => {
    // A render with CRDs writes them beside the render, under a name of its own that was not confined.
    const o = outside();
    const target = join(o.dir, 'crds.yaml');
    const crd = [
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      'metadata: { name: widgets.example.com }',
      'spec:',
      '  group: example.com',
      '  names: { kind: Widget, plural: widgets }',
      '  scope: Namespaced',
      '  versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object } } }]',
      '',
    ].join('\n');
    const base = 'kustomizations/base/kustomization.yaml';
    const dir = hostileRepo(
      { '.gitops-flow/rendered/dev.crds.yaml': target },
      { 'kustomizations/base/crd.yaml': crd, [base]: `${exampleFiles()[base]}  - crd.yaml\n` },
    );
    const r = await runCli(['-C', dir, '--dry-run', 'deploy', '--env', 'dev'], { env: cleanEnv() });
    expectRefused(r, '.gitops-flow/rendered/dev.crds.yaml');
    expect(existsSync(target)).toBe(false);
  });

  it('a symlink inside the repo that stays inside is fine', async () => {
    const dir = hostileRepo({ 'rendered-link': 'kustomizations' });
    const r = await runCli(['-C', dir, 'render', '--env', 'dev', '--out', 'rendered-link/dev.yaml'], {
      env: cleanEnv(),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'kustomizations', 'dev.yaml'))).toBe(true);
  });
});
