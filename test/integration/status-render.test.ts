/**
 * status from the render: the images each env really runs with where they are set, the last commit
 * that changed anything its render reads, and one env that does not render shown as an error row
 * while the others are reported (exit 2 after the full result).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { SHAPES } from '../helpers/env-shapes.js';
import { commitFiles, exampleFiles, makeRepo } from '../helpers/git-fixtures.js';
import { expectShape } from '../helpers/json-shapes.js';

const json = async (dir: string) => JSON.parse((await runCli(['-C', dir, '--json', 'status', '--no-cluster'])).stdout);

describe('status shows the images the render runs, with their source', () => {
  it('images set by a component, a base, a patch and a resource are shown and located', async () => {
    const patches = await json(makeRepo(SHAPES.patches.files));
    expect(patches.environments.dev.images).toEqual({
      'registry.example.com/team/web': 'registry.example.com/team/web:1.5.0',
      'registry.example.com/team/worker': 'registry.example.com/team/worker:2.0.0',
    });
    expect(patches.environments.dev.sources['registry.example.com/team/worker']).toEqual({
      kind: 'patch',
      file: 'kustomizations/overlays/dev/worker-image.yaml',
      line: 10,
    });
    expect(patches.environments.uat.sources['registry.example.com/team/web']).toMatchObject({
      kind: 'resource',
      file: 'kustomizations/base/web.yaml',
    });
    const base = await json(makeRepo(SHAPES.baseImages.files));
    expect(base.environments.prod.images).toEqual({
      'registry.example.com/team/web': 'registry.example.com/team/web:1.0.0',
    });
    expect(base.environments.prod.sources['registry.example.com/team/web'].kind).toBe('base-images');
  });

  it('a change to a shared base is the last change of every env that reads it', async () => {
    const dir = makeRepo(SHAPES.sharedBase.files);
    const sha = commitFiles(
      dir,
      {
        'base/neo4j/backup.yaml': (SHAPES.sharedBase.files['base/neo4j/backup.yaml'] ?? '').replace('1.0', '1.1'),
      },
      'backup 1.1',
    );
    const s = await json(dir);
    for (const env of ['dev', 'uat', 'prod']) {
      expect(s.environments[env].commit).toBe(sha);
      expect(s.environments[env].images['neo4j-backup']).toBe('neo4j-backup:1.1');
    }
  });

  it("with more envs than pathspecs git takes quickly (20), each env's last change is its own", async () => {
    const files: Record<string, string> = {
      'kustomizations/base/kustomization.yaml': 'resources:\n  - web.yaml\n',
      'kustomizations/base/web.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n  template:\n    spec: { containers: [{ name: web, image: web }] }\n',
    };
    const overlay = (i: number, tag: string) =>
      `resources:\n  - ../../base\nnamespace: env-${i}\nimages:\n  - name: web\n    newTag: "${tag}"\n`;
    for (let i = 0; i < 20; i++) files[`kustomizations/overlays/env-${i}/kustomization.yaml`] = overlay(i, '1.0.0');
    const dir = makeRepo(files);
    const base = commitFiles(
      dir,
      { 'kustomizations/base/web.yaml': `${files['kustomizations/base/web.yaml']}# touched\n` },
      'base',
    );
    const five = commitFiles(dir, { 'kustomizations/overlays/env-5/kustomization.yaml': overlay(5, '1.1.0') }, 'env-5');
    const twelve = commitFiles(
      dir,
      { 'kustomizations/overlays/env-12/kustomization.yaml': overlay(12, '1.2.0') },
      'env-12',
    );
    commitFiles(dir, { 'README.md': 'unrelated\n' }, 'readme');
    const s = await json(dir);
    expect(Object.keys(s.environments)).toHaveLength(20);
    for (let i = 0; i < 20; i++) {
      expect(s.environments[`env-${i}`].commit, `env-${i}`).toBe(i === 5 ? five : i === 12 ? twelve : base);
    }
    expect(s.environments['env-12'].images).toEqual({ web: 'web:1.2.0' });
  });

  it('an env that does not render is an error row (file, line, env); the others are shown; exit 2', async () => {
    const dir = makeRepo(
      exampleFiles({
        'kustomizations/overlays/uat/kustomization.yaml':
          'resources:\n- ../../base\nimages:\n- name: application-image\n  newTag: 1.10\n',
      }),
    );
    const r = await runCli(['-C', dir, '--json', 'status', '--no-cluster']);
    expect(r.code).toBe(2);
    const s = expectShape(r, 'status');
    expect(Object.keys(s.environments.dev?.images ?? {})).toContain('application-image');
    expect(Object.keys(s.environments.prod?.images ?? {})).toContain('application-image');
    expect(s.environments.uat?.error).toEqual({
      code: 'KUSTOMIZATION_INVALID',
      message: expect.stringMatching(/kustomizations\/overlays\/uat\/kustomization.yaml:5: .*1\.10.*\(env uat\)/),
    });
    expect(r.stderr).toContain('error[KUSTOMIZATION_INVALID]');
    const human = await runCli(['-C', dir, 'status', '--no-cluster']);
    expect(human.code).toBe(2);
    expect(human.stdout).toMatch(/^dev .*application-image/m);
    expect(human.stdout).toMatch(/^uat +ERROR +KUSTOMIZATION_INVALID/m);
    expect(human.stdout).toMatch(/^prod .*application-image/m);
  });

  it('an env whose render would fetch a remote resource is refused on its row, as every render is', async () => {
    const dir = makeRepo(
      exampleFiles({
        'kustomizations/overlays/uat/kustomization.yaml':
          'resources:\n- ../../base\n- https://example.com/remote.yaml\n',
      }),
    );
    const r = await runCli(['-C', dir, '--json', 'status', '--no-cluster']);
    expect(r.code).toBe(2);
    const s = expectShape(r, 'status');
    expect(s.environments.uat?.error?.code).toBe('REMOTE_RESOURCE_REFUSED');
    expect(s.environments.dev?.error).toBeUndefined();
  });
});
