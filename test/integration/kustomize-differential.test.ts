/**
 * Differential test: our in-place image edit against the pinned `kustomize edit set image`, compared
 * by `kustomize build` output and by the resulting images list (as a set: kustomize sorts the list, we
 * keep the file's order), over every form the command takes and every overlay style of the corpus.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type KustomizeImage, parseImageArg, parseKustomization, readImages } from '../../src/core/kustomization.js';
import { editImages } from '../../src/core/kustomization-edit.js';
import { cleanEnv } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/git-fixtures.js';
import { CORPUS, CORPUS_BASE, EDIT_FORMS } from '../helpers/kustomization-corpus.js';
import { lineDiff } from '../helpers/line-diff.js';

const D = `sha256:${'c'.repeat(64)}`;
const D2 = `sha256:${'d'.repeat(64)}`;

const base = {
  'base/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
  'base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      initContainers:
        - { name: init, image: "side@${D2}" }
      containers:
        - { name: app, image: app }
        - { name: proxy, image: "nginx:1.0" }
        - { name: svc, image: "reg.io:5000/team/svc:1" }
`,
};

const states: Record<string, string> = {
  empty: 'resources:\n  - ../base\n',
  tagged: `# overlay comment
resources:
  - ../base
images:
  - name: nginx
    newTag: "1.1"
  - name: app
    newName: reg/app
    newTag: "0.9"
`,
  digested: `resources:
  - ../base
namePrefix: dev-
images:
  - name: app
    newName: reg/app
    newTag: "1"
    digest: ${D2}
  - name: side
    digest: ${D}
`,
};

const argSets: string[][] = [
  ['app=reg/app:2.0'],
  [`app=reg/app@${D}`],
  [`app=reg/app:2.0@${D}`],
  ['app:2.0'],
  [`app@${D}`],
  [`app:2.0@${D}`],
  ['app=reg/app'],
  ['app=mirror.example.com:443/x/app'],
  ['app=*:3.0'],
  ['app=other/app:*'],
  [`app=*:*@${D}`],
  ['nginx:1.2'],
  ['nginx=mirror/nginx'],
  ['reg.io:5000/team/svc:2'],
  ['reg.io:5000/team/svc=reg.io:5000/team/svc2:3'],
  [`side@${D}`],
  ['side=reg/side:1'],
  ['app=reg/app:2.0', 'nginx:1.2'],
  ['nginx:1.2', 'app:5', `side@${D}`, 'reg.io:5000/team/svc:9'],
  ['zzz:1', 'aaa=reg/aaa:1'],
];

const kustomize = (args: string[], cwd: string) =>
  execFileSync('kustomize', args, { cwd, env: cleanEnv(), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

const cases = Object.keys(states).flatMap((state) => argSets.map((args) => ({ state, args })));

const byName = (l: KustomizeImage[]) => [...l].sort((a, b) => (a.name < b.name ? -1 : 1));
const imagesIn = (file: string) => byName(readImages(parseKustomization(readFileSync(file, 'utf8'), file)));

/** Edits a copy with ours and a copy with kustomize; the images and (for a Kustomization) the builds agree. */
function compare(files: Record<string, string>, overlay: string, file: string, args: string[], build: boolean) {
  const dir = tempDir('gitops-flow-diff-ours-');
  const theirs = tempDir('gitops-flow-diff-theirs-');
  writeFiles(dir, files);
  writeFiles(theirs, files);
  kustomize(['edit', 'set', 'image', ...args], join(theirs, overlay));
  const ours = join(dir, overlay, file);
  const edit = editImages(readFileSync(ours, 'utf8'), ours, args.map(parseImageArg));
  writeFileSync(ours, edit.text);
  expect(imagesIn(ours)).toEqual(imagesIn(join(theirs, overlay, file)));
  if (build) expect(kustomize(['build', overlay], dir)).toBe(kustomize(['build', overlay], theirs));
}

describe('image edits equal the pinned kustomize edit set image', () => {
  it('has at least 50 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  it.each(cases)('$state + $args', ({ state, args }) => {
    compare(
      { ...base, 'overlay/kustomization.yaml': states[state] as string },
      'overlay',
      'kustomization.yaml',
      args,
      true,
    );
  });
});

// Every corpus style with the forms that add, change and drop fields (the rest are unit-tested).
const FORMS = [0, 3, 5, 6, 7, 11, 13].map((i) => EDIT_FORMS[i] as string[]);
const corpusCases = CORPUS.flatMap((c) => FORMS.map((args) => ({ ...c, args })));

describe('on every overlay style of the corpus, the edit means what kustomize edit set image means', () => {
  it.each(corpusCases)('$name + $args', ({ file, text, args }) => {
    const component = /kind: Component/.test(text);
    compare({ ...CORPUS_BASE, [`overlay/${file}`]: text }, 'overlay', file, args, !component);
  });
});

// Diff size as a reviewer sees it: ours against kustomize's own rewrite of the same file, one image each.
// `app@digest` drops newName and newTag as kustomize does (a line each): only the `=*` forms, which keep
// the entry's name, are held to 2 lines.
const ONE_IMAGE = [
  ['app=*:1.5.0'],
  ['worker=*:2.1.0'],
  [`app=*:1.5.0@${D}`],
  [`app@${D}`],
  ['aaa=registry.example.com/aaa:1'],
];
const sizes: { name: string; args: string; ours: number; theirs: number }[] = [];

describe('a one-image edit changes no more lines than kustomize edit set image (and ≤ 2 for an existing entry)', () => {
  it.each(CORPUS.flatMap((c) => ONE_IMAGE.map((args) => ({ ...c, args }))))(
    '$name + $args',
    ({ name, file, text, args }) => {
      const theirs = tempDir('gitops-flow-size-');
      writeFiles(theirs, { [`overlay/${file}`]: text });
      kustomize(['edit', 'set', 'image', ...args], join(theirs, 'overlay'));
      const ours = editImages(text, file, args.map(parseImageArg)).text;
      const o = lineDiff(text, ours).changed;
      const t = lineDiff(text, readFileSync(join(theirs, 'overlay', file), 'utf8')).changed;
      sizes.push({ name, args: args.join(' '), ours: o, theirs: t });
      expect(o, `ours ${o} lines, kustomize ${t}`).toBeLessThanOrEqual(Math.max(t, 1));
      const existing = readImages(parseKustomization(text, file)).some(
        (i) => i.name === parseImageArg(args[0] as string).name,
      );
      if (existing && args[0]?.includes('=*:')) expect(o).toBeLessThanOrEqual(2);
    },
  );

  afterAll(() => {
    const sum = (k: 'ours' | 'theirs') => sizes.reduce((n, s) => n + s[k], 0);
    console.log(
      `diff sizes over ${sizes.length} one-image edits: ours ${sum('ours')} lines, kustomize ${sum('theirs')} lines`,
    );
  });
});
