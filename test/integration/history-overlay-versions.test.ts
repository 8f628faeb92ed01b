/**
 * history steps small overlays back by reading their old blobs (src/adapters/overlay-versions.ts) and
 * large ones by git's zero-context diffs. Both ways must give the same releases: the walk is run with
 * every overlay read one way, then the other, then as chosen by size, on histories with tag bumps, runs
 * of changed lines, entries added and removed, comments, a namespace change, base and unrelated files,
 * overlays renamed between kustomization.yaml, .yml and Kustomization, deleted and recreated, broken and
 * fixed, in flow style, without a final newline, with CRLF line ends, and a merge.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { walkReleases } from '../../src/adapters/release-walk.js';
import { loadConfig } from '../../src/steps/config.js';
import { cleanEnv } from '../helpers/cli.js';
import { SHAPES } from '../helpers/env-shapes.js';
import { commitFiles, exampleFiles, gitSync, makeRepo } from '../helpers/git-fixtures.js';

const quiet = { info() {}, debug() {}, warn() {}, result() {} } as never;
const O = 'kustomizations/overlays';
const DEV = `${O}/dev/kustomization.yaml`;

/** The example repo, then one commit per kind of change. */
function variedRepo(): string {
  const files = exampleFiles();
  const dir = makeRepo(files);
  const dev = files[DEV] as string;
  const uat = files[`${O}/uat/kustomization.yaml`] as string;
  const prod = files[`${O}/prod/kustomization.yaml`] as string;
  const step = (f: Record<string, string | null>, m: string) => commitFiles(dir, f, m);
  step({ [DEV]: dev.replace('"1.0.0"', '"1.1.0"') }, 'bump one tag');
  step({ [DEV]: dev.replace('"1.0.0"', '"1.2.0"').replace('"2.3.0"', '"2.4.0"') }, 'bump two entries');
  const moved = dev
    .replace('"1.0.0"', '"1.2.0"')
    .replace('team/order-manager\n    newTag: "2.3.0"', 'mirror/order-manager\n    newTag: "2.5.0"');
  step({ [DEV]: moved }, 'two adjacent lines');
  step({ [DEV]: dev.replace('"1.0.0"', '"1.2.0"').replace('"2.3.0"', '"2.4.0"') }, 'two adjacent lines back');
  const added = `${dev.replace('"1.0.0"', '"1.2.0"').replace('"2.3.0"', '"2.4.0"')}  - name: extra-image\n    newTag: "0.1.0"\n`;
  step({ [DEV]: added }, 'add an entry');
  step({ [DEV]: `# owned by the platform team\n\n${added}` }, 'a comment and a blank line');
  step({ [DEV]: `# owned by the platform team\n\n${dev.replace('"1.0.0"', '"1.3.0"')}` }, 'remove an entry');
  step(
    { [DEV]: dev.replace('pick-manager-dev', 'pick-manager-dev2').replace('"1.0.0"', '"1.4.0"') },
    'namespace and tag',
  );
  step({ 'kustomizations/base/deployment.yaml': `${files['kustomizations/base/deployment.yaml']}# x\n` }, 'base');
  step({ 'README.md': 'notes\n' }, 'an unrelated file');
  step(
    { [`${O}/uat/kustomization.yaml`]: null, [`${O}/uat/kustomization.yml`]: uat.replace('"1.0.0"', '"1.5.0"') },
    'to .yml',
  );
  step(
    { [`${O}/uat/kustomization.yml`]: null, [`${O}/uat/Kustomization`]: uat.replace('"1.0.0"', '"1.6.0"') },
    'to Kustomization',
  );
  step({ [`${O}/prod/kustomization.yaml`]: null }, 'delete prod');
  step({ [`${O}/prod/kustomization.yaml`]: prod.replace('"1.0.0"', '"1.7.0"') }, 'recreate prod');
  step({ [`${O}/prod/kustomization.yaml`]: 'images: [\n' }, 'break prod');
  step({ [`${O}/prod/kustomization.yaml`]: prod.replace('"1.0.0"', '"1.8.0"') }, 'fix prod');
  const flow = 'resources: [../../base]\nimages: [{name: application-image, newTag: "1.9.0"}]\n';
  step({ [`${O}/prod/kustomization.yaml`]: flow }, 'flow style');
  step({ [`${O}/prod/kustomization.yaml`]: flow.replace('1.9.0', '1.9.1') }, 'flow style bump');
  step({ [DEV]: dev.replace('"1.0.0"', '"2.0.0"').trimEnd() }, 'no final newline');
  step({ [DEV]: dev.replace('"1.0.0"', '"2.1.0"').trimEnd() }, 'no final newline, bumped');
  step({ [DEV]: dev.replace('"1.0.0"', '"2.2.0"').replace(/\n/g, '\r\n') }, 'CRLF');
  step({ [DEV]: dev.replace('"1.0.0"', '"2.3.0"').replace(/\n/g, '\r\n') }, 'CRLF bumped');
  gitSync(dir, ['checkout', '--quiet', '-b', 'feature']);
  step({ [DEV]: dev.replace('"1.0.0"', '"3.0.0"') }, 'on a branch');
  step({ [DEV]: dev.replace('"1.0.0"', '"3.1.0"') }, 'on a branch again');
  gitSync(dir, ['checkout', '--quiet', 'main']);
  step({ [`${O}/uat/Kustomization`]: uat.replace('"1.0.0"', '"1.9.9"') }, 'uat on main');
  gitSync(dir, ['merge', '--quiet', '--no-ff', '-m', 'merge feature', 'feature']);
  step({ [DEV]: dev.replace('"1.0.0"', '"4.0.0"') }, 'after the merge');
  return dir;
}

/** A shape's repo with each overlay's first image bumped twice and every other file touched. */
function shapeRepo(name: keyof typeof SHAPES): string {
  const { files } = SHAPES[name];
  const dir = makeRepo(files);
  const overlays = Object.keys(files).filter((f) => /(^|\/)(kustomization\.ya?ml|Kustomization)$/.test(f));
  for (const tag of ['7.0.0', '7.1.0'])
    for (const f of overlays) {
      const text = files[f] as string;
      const bumped = text.replace(/newTag: *"?[^"\n]*"?/, `newTag: "${tag}"`);
      if (bumped !== text) commitFiles(dir, { [f]: bumped }, `bump ${f} ${tag}`);
    }
  for (const f of Object.keys(files).filter((x) => /\.ya?ml$/.test(x) && !overlays.includes(x)))
    commitFiles(dir, { [f]: `${files[f]}# touched\n` }, `touch ${f}`);
  return dir;
}

async function walk(dir: string, smallOverlay: number | undefined) {
  const env = cleanEnv({ GITOPS_FLOW_CACHE: `${dir}/../cache` });
  const g = { cwd: dir, env, log: quiet };
  const config = await loadConfig(dir);
  const walked = await walkReleases(
    { envs: [...config.environments.values()], rev: 'HEAD', ...(smallOverlay !== undefined && { smallOverlay }) },
    g,
    { env, log: quiet },
  );
  return walked.map((w) => ({ ...w, log: `${w.log.commit} ${w.log.subject}` }));
}

/**
 * 1,100 commits after the example repo's first (git's diffs are then read from two logs, split at the
 * middle): tag bumps of dev and uat in turn, every 97th a base edit, and a merged side branch.
 */
function longRepo(): string {
  const files = exampleFiles();
  const dir = makeRepo(files);
  const parent = gitSync(dir, ['rev-parse', 'HEAD']);
  const data = (x: string) => `data ${Buffer.byteLength(x)}\n${x}\n`;
  const chunks: string[] = [];
  for (let i = 1; i <= 1100; i++) {
    const env = i % 2 ? 'dev' : 'uat';
    const path = i % 97 ? `${O}/${env}/kustomization.yaml` : 'kustomizations/base/deployment.yaml';
    const text = i % 97 ? (files[path] as string).replace('"1.0.0"', `"1.${i}.0"`) : `${files[path]}# ${i}\n`;
    const from = i === 1 ? `from ${parent}\n` : '';
    const merge = i === 600 ? 'merge :9999\n' : '';
    if (i === 600)
      chunks.push(
        `commit refs/heads/side\nmark :9999\ncommitter T <t@example.com> ${1_767_225_600 + i * 60} +0000\n${data('side')}from :599\nM 100644 inline ${O}/prod/kustomization.yaml\n${data((files[`${O}/prod/kustomization.yaml`] as string).replace('"1.0.0"', '"9.9.9"'))}`,
      );
    chunks.push(
      `commit refs/heads/main\nmark :${i}\ncommitter T <t@example.com> ${1_767_225_600 + i * 60} +0000\n${data(`change ${i}`)}${from}${merge}M 100644 inline ${path}\n${data(text)}`,
    );
  }
  const r = spawnSync('git', ['fast-import', '--quiet'], { cwd: dir, input: chunks.join('') });
  expect(r.status, String(r.stderr)).toBe(0);
  gitSync(dir, ['reset', '--quiet', '--hard', 'main']);
  return dir;
}

const REPOS: [string, () => string][] = [
  ['1,100 commits', longRepo],
  ['varied commits', variedRepo],
  ...(['fileNames', 'nested', 'sharedBase'] as const).map((n): [string, () => string] => [n, () => shapeRepo(n)]),
];

describe('history: overlays stepped back by blob or by git diff', () => {
  it.each(REPOS)('%s: the same releases either way', async (_name, make) => {
    const dir = make();
    const byDiff = await walk(dir, -1);
    const byBlob = await walk(dir, Number.POSITIVE_INFINITY);
    expect(byDiff.length).toBeGreaterThan(3);
    expect(byBlob).toEqual(byDiff);
    expect(await walk(dir, undefined)).toEqual(byDiff);
  });

  it('the varied history has the releases git shows', async () => {
    const releases = await walk(variedRepo(), undefined);
    const dev = releases.filter((r) => r.env === 'dev');
    const app = (tag: string) => ({ 'application-image': `registry.example.com/team/pick-manager:${tag}` });
    expect(dev[0]?.images).toEqual(app('4.0.0'));
    expect(dev.find((r) => r.log.endsWith(' merge feature'))?.previousImages).toEqual(app('2.3.0'));
    expect(dev.find((r) => r.log.endsWith(' bump two entries'))).toMatchObject({
      images: { ...app('1.2.0'), 'order-manager-image': 'registry.example.com/team/order-manager:2.4.0' },
      previousImages: { ...app('1.1.0'), 'order-manager-image': 'registry.example.com/team/order-manager:2.3.0' },
    });
    expect(dev.find((r) => r.log.endsWith(' CRLF bumped'))?.images).toEqual(app('2.3.0'));
    const prod = releases.filter((r) => r.env === 'prod').map((r) => r.log.replace(/^\S+ /, ''));
    // The walk of an env ends where its overlay did not parse (fix prod's parent), either way.
    expect(prod).toEqual(['flow style bump', 'flow style', 'fix prod']);
  });
});
