/**
 * history from the render, attributed by what each env reads: a shared base's change is a release of
 * every env built on it, a nested overlay's change is not its parent folder's env's, `.yml` and
 * `Kustomization` overlays have images, and every release's images equal those of the renders of the
 * commit and its parent (computed independently, tree by tree).
 */
import { describe, expect, it } from 'vitest';
import { envImages } from '../../src/adapters/env-images.js';
import { commitTree } from '../../src/adapters/trees.js';
import { parseImageArg } from '../../src/core/kustomization.js';
import { editImages } from '../../src/core/kustomization-edit.js';
import { imageReferences } from '../../src/core/rendered-images.js';
import { loadConfig } from '../../src/steps/config.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { SHAPES, type ShapeName } from '../helpers/env-shapes.js';
import { commitFiles, gitSync, makeRepo } from '../helpers/git-fixtures.js';

const quiet = { info() {}, debug() {}, warn() {}, result() {} } as never;

interface Release {
  commit: string;
  env: string;
  images: Record<string, string>;
  previousImages: Record<string, string>;
  subject: string;
}

const history = async (dir: string, ...args: string[]) =>
  JSON.parse((await runCli(['-C', dir, '--json', 'history', ...args])).stdout) as Release[];

/** A history on a shape: tag bumps in each env's overlay, then an edit of every other file it reads. */
function grow(shape: ShapeName): string {
  const { files } = SHAPES[shape];
  const dir = makeRepo(files);
  const overlays = Object.keys(files).filter((f) => /(^|\/)(kustomization\.ya?ml|Kustomization)$/.test(f));
  let n = 0;
  for (const f of overlays) {
    const text = files[f] as string;
    const name = /- name: ([^\s]+)/.exec(text)?.[1];
    if (!name || !/images:/.test(text)) continue;
    for (const tag of ['5.0.0', '5.1.0']) {
      const edit = editImages(gitSync(dir, ['show', `HEAD:${f}`]) + '\n', f, [parseImageArg(`${name}=*:${tag}`)]);
      if (edit.changed) commitFiles(dir, { [f]: edit.text }, `bump ${f} ${tag} ${n++}`);
    }
  }
  for (const f of Object.keys(files).filter((x) => /\.yaml$/.test(x) && !overlays.includes(x))) {
    commitFiles(dir, { [f]: `${files[f]}# touched\n` }, `touch ${f}`);
  }
  return dir;
}

describe('history from the render', () => {
  it.each(Object.keys(SHAPES))('%s: each release equals the renders of its commit and parent', async (shape) => {
    const dir = grow(shape as ShapeName);
    const env = cleanEnv();
    const g = { cwd: dir, env, log: quiet };
    const config = await loadConfig(dir);
    const images = async (rev: string, name: string): Promise<Record<string, string>> => {
      const e = config.environments.get(name);
      if (!e) return {};
      const tree = await commitTree(rev, g).catch(() => undefined);
      if (!tree) return {};
      try {
        return imageReferences((await envImages({ tree, overlay: e.overlay, envName: name }, g)).images);
      } catch {
        return {};
      } finally {
        tree.close();
      }
    };
    const releases = await history(dir);
    expect(releases.length).toBeGreaterThan(0);
    for (const r of releases) {
      const parent = gitSync(dir, ['rev-list', '--parents', '-n', '1', r.commit]).split(' ')[1];
      const [after, before] = await Promise.all([
        images(r.commit, r.env),
        parent ? images(parent, r.env) : ({} as Record<string, string>),
      ]);
      const changed = [...new Set([...Object.keys(after), ...Object.keys(before)])].filter(
        (k) => after[k] !== before[k],
      );
      expect(r.images, `${shape} ${r.env} ${r.subject}`).toEqual(
        Object.fromEntries(changed.filter((k) => k in after).map((k) => [k, after[k]])),
      );
      expect(r.previousImages, `${shape} ${r.env} ${r.subject}`).toEqual(
        Object.fromEntries(changed.filter((k) => k in before).map((k) => [k, before[k]])),
      );
    }
  });

  it('a shared base change is a release of every env reading it; a nested overlay is its own env', async () => {
    const shared = await history(grow('sharedBase'));
    const touch = shared.filter((r) => r.subject === 'touch base/neo4j/backup.yaml').map((r) => r.env);
    expect(touch.sort()).toEqual(['dev', 'prod', 'uat']);

    const nested = await history(grow('nested'));
    const bumps = nested.filter((r) => r.subject.startsWith('bump kustomize/tests/memorystore'));
    expect(bumps.map((r) => r.env)).toEqual(['memorystore', 'memorystore']);
    expect(bumps[0]?.images).toEqual({ cart: 'registry.example.com/shop/cart:5.1.0' });
    const parentBumps = nested.filter((r) => r.subject.startsWith('bump kustomize/kustomization.yaml'));
    expect(parentBumps.map((r) => r.env)).toEqual(['default', 'default']);
    const base = nested.filter((r) => r.subject === 'touch kustomize/base/cart.yaml').map((r) => r.env);
    expect(base.sort()).toEqual(['default', 'memorystore']);
  });

  it('overlays named kustomization.yml and Kustomization have their images', async () => {
    const h = (await history(grow('fileNames'), '--env', 'uat')).filter((r) => r.subject.startsWith('bump'));
    expect(h[0]?.images).toEqual({ web: 'registry.example.com/team/web:5.1.0' });
    expect(h[0]?.previousImages).toEqual({ web: 'registry.example.com/team/web:5.0.0' });
  });
});
