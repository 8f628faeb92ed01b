/**
 * The render cache (history and status render each distinct pre-render once, then reuse it from
 * ${GITOPS_FLOW_CACHE}/renders) is keyed on everything the render reads, not on the overlay's folder:
 * overlays load ../../base, so an edited base must miss the cache of every overlay built on it. Proven
 * with the real kustomize and then without any: a run with no kustomize on PATH can only answer from
 * the cache, so it succeeds exactly when the key is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { renderKey } from '../../src/adapters/env-images.js';
import { scanOverlay } from '../../src/core/overlay-text.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { commitFiles, exampleFiles, gitSync, makeRepo, tempDir } from '../helpers/git-fixtures.js';

const SIDECAR = 'registry.example.com/team/log-shipper:3.1.0';

/** The example base's Deployment with one more container (the overlays do not change). */
function baseWithSidecar(base: string): string {
  return `${base.trimEnd()}\n        - name: log-shipper\n          image: ${SIDECAR}\n`;
}

describe('render cache', () => {
  it('an edited base misses the cached render of every overlay that loads it; unchanged inputs hit', async () => {
    const files = exampleFiles();
    const dir = makeRepo(files);
    const withTools = cleanEnv({ GITOPS_FLOW_CACHE: tempDir('gitops-flow-cache-') });
    // The same cache, and no kustomize anywhere: the tools cache is empty and PATH has only the system's.
    const noTools = { ...withTools, PATH: '/usr/local/bin:/usr/bin:/bin' };
    const status = async (env: NodeJS.ProcessEnv) => {
      const r = await runCli(['-C', dir, '--json', 'status', '--no-cluster'], { env });
      return { code: r.code, stderr: r.stderr, envs: r.stdout ? JSON.parse(r.stdout).environments : undefined };
    };

    // Control: nothing cached yet, so without kustomize the render cannot happen.
    const cold = await status(noTools);
    expect(cold.code).not.toBe(0);
    expect(cold.stderr).toMatch(/kustomize/);

    const first = await status(withTools);
    expect(first.code).toBe(0);
    for (const env of ['dev', 'uat', 'prod']) expect(Object.values(first.envs[env].images)).not.toContain(SIDECAR);
    // Cached: the same tree answers without kustomize.
    expect((await status(noTools)).envs).toEqual(first.envs);

    const path = 'kustomizations/base/deployment.yaml';
    commitFiles(dir, { [path]: baseWithSidecar(files[path] as string) }, 'base: log shipper sidecar');
    // The overlays' folders are unchanged, the base is not: every env's key changed, nothing answers.
    const stale = await status(noTools);
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toMatch(/kustomize/);

    const edited = await status(withTools);
    expect(edited.code).toBe(0);
    for (const env of ['dev', 'uat', 'prod']) expect(Object.values(edited.envs[env].images)).toContain(SIDECAR);
    expect((await status(noTools)).envs).toEqual(edited.envs);

    // history reads the same cache: both states are cached, so it needs no kustomize either, and the
    // base's change is a release of all three envs with the sidecar.
    const history = await runCli(['-C', dir, '--json', 'history'], { env: noTools });
    expect(history.code).toBe(0);
    const releases = JSON.parse(history.stdout) as { env: string; subject: string; images: Record<string, string> }[];
    const sidecar = releases.filter((r) => r.subject === 'base: log shipper sidecar');
    expect(sidecar.map((r) => r.env).sort()).toEqual(['dev', 'prod', 'uat']);
    for (const r of sidecar) expect(Object.values(r.images)).toContain(SIDECAR);
    expect(gitSync(dir, ['status', '--porcelain'])).toBe('');
  });

  it('the key covers every input by blob id and the build options; sibling overlays share it', () => {
    const text = 'resources:\n  - ../../base\nnamespace: dev\nimages:\n  - name: web\n    newTag: "1.0.0"\n';
    const key = (overlayFile: string, baseId: string, build?: { enableHelm?: boolean }) =>
      renderKey({
        overlayFile,
        scan: scanOverlay(text, overlayFile),
        inputs: [
          ['kustomizations/base/kustomization.yaml', 'a'.repeat(40)],
          ['kustomizations/base/web.yaml', baseId],
        ],
        build,
      });
    const dev = key('kustomizations/overlays/dev/kustomization.yaml', 'b'.repeat(40));
    expect(key('kustomizations/overlays/uat/kustomization.yaml', 'b'.repeat(40))).toBe(dev);
    expect(key('kustomizations/overlays/dev/kustomization.yaml', 'c'.repeat(40))).not.toBe(dev);
    expect(key('kustomizations/overlays/dev/kustomization.yaml', 'b'.repeat(40), { enableHelm: true })).not.toBe(dev);
  });
});
