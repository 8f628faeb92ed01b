/** init → render round trip with the pinned kustomize; refusal, --force, custom --envs. */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { filesOf, gitSync, tempDir } from '../helpers/git-fixtures.js';

const LAYOUT = [
  '.gitignore',
  '.gitlab-ci.yml',
  'gitops-flow.yaml',
  'kustomizations/base/deployment.yaml',
  'kustomizations/base/hpa.yaml',
  'kustomizations/base/kustomization.yaml',
  'kustomizations/base/namespace.yaml',
];
const overlays = (envs: string[]) => envs.map((e) => `kustomizations/overlays/${e}/kustomization.yaml`);
const worktree = (dir: string) =>
  Object.keys(filesOf(dir))
    .filter((p) => !p.startsWith('.git/'))
    .sort();

describe('init', () => {
  it('creates the seed layout for dev, uat, prod; every env renders with the pinned kustomize', async () => {
    const dir = join(tempDir(), 'env');
    const r = await runCli(['-C', dir, 'init']);
    expect(r.code, r.stderr).toBe(0);
    expect(worktree(dir)).toEqual([...LAYOUT, ...overlays(['dev', 'prod', 'uat'])].sort());
    expect(gitSync(dir, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
    expect(r.stderr).toContain('created gitops-flow.yaml');
    expect(r.stderr).toContain(`gitops-flow -C ${dir} render --env dev`);
    for (const env of ['dev', 'uat', 'prod']) {
      const out = await runCli(['-C', dir, '--json', 'render', '--env', env]);
      expect(out.code, out.stderr).toBe(0);
      const meta = JSON.parse(out.stdout);
      expect(meta.objects.map((o: { kind: string }) => o.kind).sort()).toEqual([
        'Deployment',
        'HorizontalPodAutoscaler',
        'Namespace',
      ]);
      expect(meta.workloads).toEqual([
        {
          kind: 'Deployment',
          name: 'my-app',
          namespace: `my-app-${env}`,
          images: { app: 'registry.example.com/team/my-app:0.1.0' },
        },
      ]);
    }
  });

  it('--envs, --app and --image shape the repo; config, CI and renders follow them', async () => {
    const dir = tempDir();
    const r = await runCli([
      '-C',
      dir,
      '--json',
      'init',
      '--envs',
      'qa, staging,live',
      '--app',
      'shop',
      '--image',
      'registry.example.com/shop/web:2.0.1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ root: dir, environments: ['qa', 'staging', 'live'], overwritten: [] });
    expect(worktree(dir)).toEqual([...LAYOUT, ...overlays(['live', 'qa', 'staging'])].sort());
    const ci = parse(readFileSync(join(dir, '.gitlab-ci.yml'), 'utf8'));
    expect(Object.keys(ci).filter((k) => !k.startsWith('.') && k !== 'stages')).toEqual([
      'deploy-qa',
      'promote-staging',
      'promote-live',
      'rollback-qa',
      'rollback-staging',
      'rollback-live',
      'restore-qa',
      'restore-staging',
      'restore-live',
    ]);
    const promote = await runCli(['-C', dir, 'promote', '--from', 'qa', '--to', 'live', '--no-deploy', '--no-push']);
    expect(promote.code).toBe(2);
    expect(promote.stderr).toContain('error[PROMOTE_NOT_ALLOWED]');
    for (const env of ['qa', 'staging', 'live']) {
      const out = await runCli(['-C', dir, 'render', '--env', env]);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toContain('image: registry.example.com/shop/web:2.0.1');
      expect(out.stdout).toContain(`namespace: shop-${env}`);
    }
  });

  it('refuses to overwrite, listing every existing file, and writes nothing (exit 2)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'gitops-flow.yaml'), 'order: [mine]\n');
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
    const r = await runCli(['-C', dir, 'init']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[INIT_WOULD_OVERWRITE]: 2 file(s) already exist');
    expect(r.stderr).toContain('  gitops-flow.yaml\n');
    expect(r.stderr).toContain('  .gitignore\n');
    expect(r.stderr).toContain('hint: Pass --force');
    expect(worktree(dir)).toEqual(['.gitignore', 'gitops-flow.yaml']);
    expect(readFileSync(join(dir, 'gitops-flow.yaml'), 'utf8')).toBe('order: [mine]\n');
    expect(existsSync(join(dir, '.git'))).toBe(false);
  });

  it('--force overwrites existing files (and replaces a symlink rather than writing through it)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'gitops-flow.yaml'), 'order: [mine]\n');
    writeFileSync(join(dir, 'notes.txt'), 'keep me\n');
    symlinkSync('notes.txt', join(dir, '.gitignore'));
    const r = await runCli(['-C', dir, '--json', 'init', '--envs', 'dev', '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).overwritten.sort()).toEqual(['.gitignore', 'gitops-flow.yaml']);
    expect(readFileSync(join(dir, 'gitops-flow.yaml'), 'utf8')).toContain('order: [dev]');
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('keep me\n');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toContain('.gitops-flow/');
    expect((await runCli(['-C', dir, 'render', '--env', 'dev'])).code).toBe(0);
  });

  it('reports every invalid option at once and writes nothing', async () => {
    const dir = tempDir();
    const r = await runCli([
      '-C',
      dir,
      'init',
      '--envs',
      'Dev,uat,uat',
      '--app',
      'My_App',
      '--image',
      'Registry/UPPER:tag',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[INIT_OPTIONS_INVALID]: init has 4 invalid option(s).');
    expect(r.stderr).toContain('--envs: "Dev" is not an environment name');
    expect(r.stderr).toContain('--envs: "uat" given more than once');
    expect(r.stderr).toContain('--app: "My_App" is not a Kubernetes name');
    expect(r.stderr).toContain('Invalid --image "Registry/UPPER:tag"');
    expect(worktree(dir)).toEqual([]);
  });

  it('does not follow a symlinked folder out of the repo', async () => {
    const dir = tempDir();
    const outside = tempDir();
    symlinkSync(outside, join(dir, 'kustomizations'));
    const r = await runCli(['-C', dir, 'init']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[PATH_OUTSIDE_REPO]');
    expect(worktree(outside)).toEqual([]);
    expect(existsSync(join(dir, 'gitops-flow.yaml'))).toBe(false);
  });

  it('--dry-run lists the files and writes none; a file in the way of a folder is named', async () => {
    const dir = tempDir();
    const dry = await runCli(['-C', dir, '--dry-run', 'init']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('[dry-run] would create kustomizations/base/hpa.yaml');
    expect(worktree(dir)).toEqual([]);
    mkdirSync(join(dir, 'kustomizations'));
    writeFileSync(join(dir, 'kustomizations', 'base'), 'not a folder');
    const blocked = await runCli(['-C', dir, 'init', '--force']);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toContain('error[INIT_PATH_BLOCKED]');
    expect(blocked.stderr).toContain(
      'kustomizations/base is a file where kustomizations/base/namespace.yaml needs a directory',
    );
  });
});
