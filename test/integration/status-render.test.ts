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
