/**
 * The toolbox's recipe as the real SDK sends it (see dagger-recording.test.ts for how it is recorded):
 * the one given, the published one (by digest), or built from source only when asked — every image by
 * digest from ci/tools.json or a mirror of it, and the CLI's build context replayed on the host, so the
 * build is shown to have every file it reads.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { call, construct, constructorArgs, ids, recipe, register } from '../helpers/dagger-calls.js';
import { allSteps, replay, replayInclude, secretMisuses, stepsNamed } from '../helpers/dagger-recipe.js';
import { address, type Chain, hostDir } from '../helpers/dagger-recorder.js';
import { REPO_ROOT } from '../helpers/git-fixtures.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8')) as {
  images: Record<string, string>;
  published: { toolbox: string | null };
};
const MIRROR = `registry.internal/library/node:20@sha256:${'d'.repeat(64)}`;
const PUBLISHED = `registry.internal/gitops-flow/toolbox:0.1.0@sha256:${'e'.repeat(64)}`;
const source = () => ids.id(hostDir(REPO_ROOT));

describe('recording: which toolbox', () => {
  it('recording: --toolbox is used as it is', async () => {
    const parent = await construct({ source: source(), toolbox: ids.id(address(PUBLISHED)) });
    expect(recipe(await call(parent, 'toolbox', {}))).toEqual(address(PUBLISHED));
  });

  it('recording: by default the published toolbox, by digest (here a mirror of it); else a clear error', async () => {
    const mirrored = await construct({ source: source(), mirrors: [`published=${PUBLISHED}`] });
    const chain = recipe(await call(mirrored, 'toolbox', {}));
    expect(chain).toEqual([
      { field: 'container', args: {} },
      { field: 'from', args: { address: PUBLISHED } },
    ]);
    const parent = await construct({ source: source() });
    const rec = await call(parent, 'toolbox', {}, { failing: true });
    if (manifest.published.toolbox === null)
      expect(rec.error).toMatch(
        /No toolbox is published for this version yet .* --toolbox <image address>, or --build-toolbox/,
      );
    else
      expect(recipe(rec)).toEqual([
        { field: 'container', args: {} },
        { field: 'from', args: { address: manifest.published.toolbox } },
      ]);
  });
});

describe('recording: the toolbox built from source (--build-toolbox)', () => {
  let built: Chain;
  let ignore: string[];
  beforeAll(async () => {
    ignore = constructorArgs(await register()).source?.ignore as string[];
    const parent = await construct({ source: source(), buildToolbox: true, mirrors: [`node=${MIRROR}`] });
    built = recipe(await call(parent, 'toolbox', {}));
  });

  it('recording: every image is one of ci/tools.json by digest, or the mirror given for it', () => {
    const froms = new Set(stepsNamed(built, 'from').map((s) => s.args.address));
    expect(froms).toEqual(new Set([MIRROR, manifest.images.golang, manifest.images.toolbox]));
    expect(secretMisuses(built)).toEqual([]);
  });

  it("recording: the CLI's build context builds it (replayed on the host), and what ships runs", () => {
    const ship = allSteps(built).find(
      (s) => s.step.field === 'withDirectory' && s.step.args.path === '/opt/gitops-flow',
    );
    // directory().withDirectory('.', <container>.directory('/app'), { include })
    const shipped = ship?.step.args.source as Chain;
    const keep = shipped.find((s) => s.field === 'withDirectory')?.args as { source: Chain; include: string[] };
    expect(keep.source.at(-1)).toEqual({ field: 'directory', args: { path: '/app' } });
    const build = keep.source.slice(0, -1);
    expect(stepsNamed(build, 'withExec').map((s) => (s.args.args as string[]).slice(0, 3).join(' '))).toEqual([
      'npm ci --ignore-scripts',
      'npm run build',
      'npm prune --omit=dev',
    ]);
    const out = replayInclude(replay(build, ignore), 'app', keep.include);
    const version = execFileSync(process.execPath, [join(out, 'bin/gitops-flow.js'), '--version'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(version.trim()).toBe(
      (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    );
  });
});
