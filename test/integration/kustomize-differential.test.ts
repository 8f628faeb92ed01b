/**
 * Differential test: our in-place image edit against the pinned `kustomize edit set image`, compared
 * by `kustomize build` output and by the resulting images list, over every form the command takes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseImageArg, parseKustomization, readImages, setImages } from '../../src/core/kustomization.js';
import { cleanEnv } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/git-fixtures.js';

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

describe('image edits equal the pinned kustomize edit set image', () => {
  it('has at least 50 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  it.each(cases)('$state + $args', ({ state, args }) => {
    const files = { ...base, 'overlay/kustomization.yaml': states[state] as string };
    const dir = tempDir('gitops-flow-diff-ours-');
    const theirs = tempDir('gitops-flow-diff-theirs-');
    writeFiles(dir, files);
    writeFiles(theirs, files);
    kustomize(['edit', 'set', 'image', ...args], join(theirs, 'overlay'));

    const file = join(dir, 'overlay', 'kustomization.yaml');
    const doc = parseKustomization(readFileSync(file, 'utf8'), file);
    setImages(doc, args.map(parseImageArg));
    writeFileSync(file, doc.toString());

    expect(readImages(doc)).toEqual(
      readImages(parseKustomization(readFileSync(join(theirs, 'overlay', 'kustomization.yaml'), 'utf8'), 'theirs')),
    );
    expect(kustomize(['build', 'overlay'], dir)).toBe(kustomize(['build', 'overlay'], theirs));
  });
});
