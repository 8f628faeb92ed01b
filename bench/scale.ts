/**
 * Scale: generated env repos with many services — one overlay per env holding N images, or N overlays —
 * and a long history written with git fast-import.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { git, repoWithRemote, tempDir } from './lib.js';

const image = (i: number, tag: string) =>
  `  - name: svc-${i}-image\n    newName: registry.example.com/team/svc-${i}\n    newTag: "${tag}"\n`;

function baseFiles(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  const resources: string[] = [];
  for (let i = 0; i < n; i++) {
    files[`kustomizations/base/svc-${i}.yaml`] = `apiVersion: apps/v1
kind: Deployment
metadata: { name: svc-${i} }
spec:
  replicas: 1
  selector: { matchLabels: { app: svc-${i} } }
  template:
    metadata: { labels: { app: svc-${i} } }
    spec: { containers: [{ name: app, image: svc-${i}-image }] }
`;
    resources.push(`  - svc-${i}.yaml`);
  }
  files['kustomizations/base/kustomization.yaml'] = `resources:\n${resources.join('\n')}\n`;
  return files;
}

/** One overlay per env (dev, uat) with `n` images. */
export function manyImages(n: number, devTag = '1.1.0'): Record<string, string> {
  const overlay = (env: string, tag: string) =>
    `resources:\n  - ../../base\nnamespace: ${env}\nimages:\n${Array.from({ length: n }, (_, i) => image(i, tag)).join('')}`;
  return {
    ...baseFiles(n),
    'kustomizations/overlays/dev/kustomization.yaml': overlay('dev', devTag),
    'kustomizations/overlays/uat/kustomization.yaml': overlay('uat', '1.0.0'),
    '.gitignore': '.gitops-flow/\n',
  };
}

/** `n` overlays, each an env with one image (no config: environments are the folders). */
export function manyOverlays(n: number): Record<string, string> {
  const files: Record<string, string> = { ...baseFiles(1), '.gitignore': '.gitops-flow/\n' };
  for (let e = 0; e < n; e++) {
    files[`kustomizations/overlays/env-${e}/kustomization.yaml`] =
      `resources:\n  - ../../base\nnamespace: env-${e}\nimages:\n${image(0, '1.0.0')}`;
  }
  return files;
}

/** A clone whose main has `commits` commits, each changing one image tag in one overlay. */
export function longHistory(
  files: Record<string, string>,
  commits: number,
  change: (i: number) => [string, string],
): string {
  const dir = join(tempDir('gitops-flow-bench-history-'), 'env');
  git(join(dir, '..'), ['init', '--quiet', '--initial-branch=main', dir]);
  const chunks: string[] = [];
  const when = (i: number) => 1_767_225_600 + i * 60;
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  chunks.push(
    `commit refs/heads/main\nmark :1\ncommitter Bench <bench@example.com> ${when(0)} +0000\n${data('initial')}`,
  );
  for (const [p, c] of Object.entries(files)) chunks.push(`M 100644 inline ${p}\n${data(c)}`);
  for (let i = 1; i < commits; i++) {
    const [path, content] = change(i);
    chunks.push(
      `commit refs/heads/main\nmark :${i + 1}\ncommitter Bench <bench@example.com> ${when(i)} +0000\n${data(`release ${i}`)}from :${i}\nM 100644 inline ${path}\n${data(content)}`,
    );
  }
  const r = spawnSync('git', ['fast-import', '--quiet'], { cwd: dir, input: chunks.join(''), maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`git fast-import failed: ${r.stderr}`);
  git(dir, ['checkout', '--quiet', 'main']);
  return dir;
}

export { repoWithRemote };
