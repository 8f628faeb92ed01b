/**
 * gitops-flow on the env repos teams already have: on every shape (compact lists, components, patches,
 * replacements, images set in a base, nested overlays, a shared base, .yml/Kustomization names, per-env
 * registries) a one-image suggest and a promote change at most 2 lines per image, status, history and
 * diff show the images the render runs, and nothing in another env changes without being named and
 * allowed. Real git (a bare remote), the pinned kustomize.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { SHAPES, type Shape, type ShapeName } from '../helpers/env-shapes.js';
import { cloneRemote, commitFiles, gitSync, makeRemote } from '../helpers/git-fixtures.js';

const json = async (dir: string, ...argv: string[]) => {
  const r = await runCli(['-C', dir, '--json', ...argv]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

/** Lines the last commit of the remote changed per file: max(added, deleted), as a reviewer reads it. */
function changedLines(remoteDir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of gitSync(remoteDir, ['diff', '--numstat', 'main~1', 'main']).split('\n').filter(Boolean)) {
    const [added, deleted, file] = line.split('\t');
    out[file as string] = Math.max(Number(added), Number(deleted));
  }
  return out;
}

const expected = (s: Shape) => {
  const [name, ref] = s.image.includes('=')
    ? (s.image.split('=') as [string, string])
    : [s.image.replace(/:[^:/]+$/, ''), s.image];
  return { name, ref };
};

/** The lines that creating an `images:` list costs, when the env's overlay has none. */
function listCost(shape: Shape, env: string): number {
  const overlay = Object.entries(shape.files).find(([f]) =>
    new RegExp(`(^|/)${env}/(kustomization\\.ya?ml|Kustomization)$`).test(f),
  );
  return overlay && !overlay[1].includes('images:') ? 2 : 0;
}

const shapes = (Object.keys(SHAPES) as ShapeName[]).filter((n) => n !== 'replacements');

describe('a one-image suggest on every shape', () => {
  it.each(shapes)('%s: ≤ 2 lines, then status, history and diff show it', async (name) => {
    const shape = SHAPES[name] as Shape;
    const remote = makeRemote(shape.files);
    const r = await runCli([
      'suggest',
      '--push-to-target',
      '--env-repo',
      remote.url,
      '--env',
      shape.env,
      '--image',
      shape.image,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = changedLines(remote.dir);
    expect(Object.keys(lines)).toHaveLength(1);
    // 2 lines per image; an overlay without images: also gains that key (and a blank line before it
    // when its keys are separated by blank lines).
    expect(Object.values(lines)[0], JSON.stringify(lines)).toBeLessThanOrEqual(2 + listCost(shape, shape.env));

    const dir = cloneRemote(remote);
    const { name: image, ref } = expected(shape);
    const status = await json(dir, 'status', '--no-cluster');
    expect(status.environments[shape.env].images[image]).toBe(ref);
    expect(status.environments[shape.env].sources[image].kind).toBe('images');
    const [last] = await json(dir, 'history', '--env', shape.env, '--limit', '1');
    expect(last.action).toBe('suggest');
    expect(last.images[image]).toBe(ref);
    expect(last.previousImages[image]).toBeDefined();
    const diff = await json(dir, 'diff', '--env', shape.env);
    expect(diff.images[image]).toEqual({ from: last.previousImages[image], to: ref });
    // A re-run changes nothing.
    const again = await runCli([
      'suggest',
      '--push-to-target',
      '--env-repo',
      remote.url,
      '--env',
      shape.env,
      '--image',
      shape.image,
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(gitSync(remote.dir, ['rev-list', '--count', 'main'])).toBe('2');
  });

  it('an image no workload runs is refused naming the images the render runs, unless --allow-unused', async () => {
    const remote = makeRemote(SHAPES.components.files);
    const typo = [
      'suggest',
      '--push-to-target',
      '--env-repo',
      remote.url,
      '--env',
      'dev',
      '--image',
      'proxy=registry.example.com/mirror/envoy:1.31.0',
    ];
    const r = await runCli(typo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[IMAGE_NOT_IN_RENDER]');
    expect(r.stderr).toContain('registry.example.com/mirror/envoy (registry.example.com/mirror/envoy:1.30.0)');
    expect(gitSync(remote.dir, ['rev-list', '--count', 'main'])).toBe('1');
    expect((await runCli([...typo, '--allow-unused'])).code).toBe(0);
    expect(gitSync(remote.dir, ['rev-list', '--count', 'main'])).toBe('2');
  });

  it('an image a replacement sets is refused naming the replacement (it acts after images:)', async () => {
    const remote = makeRemote(SHAPES.replacements.files);
    const r = await runCli([
      'suggest',
      '--push-to-target',
      '--env-repo',
      remote.url,
      '--env',
      'dev',
      '--image',
      'registry.example.com/team/web:9.9.9',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the render still runs registry.example.com/team/web:3.0.0');
    expect(r.stderr).toContain('replacement in kustomizations/overlays/dev/kustomization.yaml');
  });
});

describe('promote on every shape that has a next env', () => {
  it.each(shapes.filter((n) => SHAPES[n].to))(
    '%s: ≤ 2 lines per image, the target runs the source images',
    async (name) => {
      const shape = SHAPES[name] as Shape;
      const remote = makeRemote(shape.files);
      expect(
        (
          await runCli([
            'suggest',
            '--push-to-target',
            '--env-repo',
            remote.url,
            '--env',
            shape.env,
            '--image',
            shape.image,
          ])
        ).code,
      ).toBe(0);
      const dir = cloneRemote(remote);
      const out = await json(dir, 'promote', '--from', shape.env, '--to', shape.to as string, '--no-deploy');
      expect(out.changed).toBe(true);
      const lines = changedLines(remote.dir);
      expect(Object.keys(lines)).toHaveLength(1);
      expect(Object.values(lines)[0]).toBeLessThanOrEqual(
        2 * Object.keys(out.images).length + listCost(shape, shape.to as string),
      );
      const status = await json(dir, 'status', '--no-cluster');
      const { name: image } = expected(shape);
      const from = status.environments[shape.env].images[image] as string;
      const to = status.environments[shape.to as string].images[image] as string;
      expect(to.replace(/^.*:/, '')).toBe(from.replace(/^.*:/, ''));
    },
  );

  it('per-env registries: the target keeps its newName (and its comment), and says so', async () => {
    const remote = makeRemote(SHAPES.registries.files);
    const dir = cloneRemote(remote);
    const r = await runCli(['-C', dir, 'promote', '--from', 'dev', '--to', 'prod', '--no-deploy']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("kept prod's newName registry.prod.example.com/team/web");
    const prod = gitSync(remote.dir, ['show', 'main:kustomizations/overlays/prod/kustomization.yaml']);
    expect(prod).toContain(
      '  # prod pulls from its own mirror\n  newName: registry.prod.example.com/team/web\n  newTag: 1.2.0',
    );
    expect(changedLines(remote.dir)).toEqual({ 'kustomizations/overlays/prod/kustomization.yaml': 1 });
  });

  it('registries from gitops-flow.yaml: the source registry becomes the target one', async () => {
    const files = {
      ...SHAPES.registries.files,
      'kustomizations/overlays/prod/kustomization.yaml': 'resources:\n- ../../base\n',
      'gitops-flow.yaml': `environments:
  dev: {registry: registry.dev.example.com/team}
  prod: {registry: registry.prod.example.com/team}
`,
    };
    const remote = makeRemote(files);
    const dir = cloneRemote(remote);
    const out = await json(dir, 'promote', '--from', 'dev', '--to', 'prod', '--no-deploy');
    expect(out.images).toEqual({ web: 'registry.prod.example.com/team/web:1.2.0' });
  });
});

describe('nested overlays and shared files', () => {
  it('rollback of the parent env leaves the nested env alone; a shared base needs --include-shared', async () => {
    const remote = makeRemote(SHAPES.nested.files);
    const dir = cloneRemote(remote);
    const nestedFile = 'kustomize/tests/memorystore/kustomization.yaml';
    const text = SHAPES.nested.files[nestedFile] as string;
    commitFiles(dir, { [nestedFile]: text.replace('1.0.0', '1.1.0') }, 'memorystore 1.1.0');
    commitFiles(
      dir,
      {
        'kustomize/kustomization.yaml': (SHAPES.nested.files['kustomize/kustomization.yaml'] as string).replace(
          '1.0.0',
          '1.2.0',
        ),
      },
      'default 1.2.0',
    );
    gitSync(dir, ['push', '--quiet', 'origin', 'main']);
    const r = await runCli(['-C', dir, 'rollback', '--env', 'default', '--no-deploy']);
    expect(r.code, r.stderr).toBe(0);
    expect(gitSync(dir, ['show', `HEAD:${nestedFile}`])).toContain('1.1.0');
    expect(gitSync(dir, ['show', 'HEAD:kustomize/kustomization.yaml'])).toContain('1.0.0');

    commitFiles(
      dir,
      { 'kustomize/base/redis.yaml': `${SHAPES.nested.files['kustomize/base/redis.yaml']}# tuned\n` },
      'redis tuned',
    );
    const then = gitSync(dir, ['rev-parse', 'HEAD~1']);
    const refused = await runCli(['-C', dir, 'restore', '--env', 'default', '--at', then, '--no-deploy', '--no-push']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('error[SHARED_FILES]');
    expect(refused.stderr).toContain('kustomize/base/redis.yaml: read by memorystore');
    expect(gitSync(dir, ['status', '--porcelain'])).toBe('');
    // The config's escape: this env may change shared files without the flag.
    const config = SHAPES.nested.files['gitops-flow.yaml'] as string;
    commitFiles(
      dir,
      {
        'gitops-flow.yaml': config.replace(
          'default: {overlay: kustomize}',
          'default: {overlay: kustomize, includeShared: true}',
        ),
      },
      'default may change shared files',
    );
    const allowed = await runCli(['-C', dir, 'restore', '--env', 'default', '--at', then, '--no-deploy', '--no-push']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(gitSync(dir, ['show', 'HEAD:kustomize/base/redis.yaml'])).not.toContain('# tuned');
  });

  it('a shared base restored for one env is in the history of every env that reads it', async () => {
    const remote = makeRemote(SHAPES.sharedBase.files);
    const dir = cloneRemote(remote);
    const start = gitSync(dir, ['rev-parse', 'HEAD']);
    commitFiles(
      dir,
      { 'base/neo4j/backup.yaml': (SHAPES.sharedBase.files['base/neo4j/backup.yaml'] ?? '').replace('1.0', '2.0') },
      'backup 2.0',
    );
    gitSync(dir, ['push', '--quiet', 'origin', 'main']);
    const refused = await runCli(['-C', dir, 'restore', '--env', 'dev', '--at', start, '--no-deploy']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/read by uat, prod|read by prod, uat/);
    const ok = await runCli(['-C', dir, 'restore', '--env', 'dev', '--at', start, '--no-deploy', '--include-shared']);
    expect(ok.code, ok.stderr).toBe(0);
    for (const env of ['dev', 'uat', 'prod']) {
      const [last] = await json(dir, 'history', '--env', env, '--limit', '1');
      expect(last.images).toEqual({ 'neo4j-backup': 'neo4j-backup:1.0' });
      expect(last.previousImages).toEqual({ 'neo4j-backup': 'neo4j-backup:2.0' });
    }
  });
});
