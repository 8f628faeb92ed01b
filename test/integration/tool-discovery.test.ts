/**
 * Where gitops-flow finds kubectl and kustomize: GITOPS_FLOW_TOOLS_DIR, then the pinned versions in the
 * tools cache, then PATH; doctor and --verbose say which binary and version, and a version other than
 * ci/tools.json's is a warning. The real pinned binaries are linked into temp caches; a STUB stands in
 * for a mismatched tool on PATH (like the Google Cloud SDK's kubectl "dispatcher" on this machine).
 */
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { locateTool, withPinnedTools } from '../../src/adapters/tools/locate.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { exampleFiles, makeRepo, REPO_ROOT, tempDir } from '../helpers/git-fixtures.js';

const pinned = JSON.parse(readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8')) as {
  kubectl: string;
  kustomize: string;
};
const [kustomizeDir, kubectlDir] = inject('toolPath').split(':') as [string, string];
const REAL = { kubectl: join(kubectlDir, 'kubectl'), kustomize: join(kustomizeDir, 'kustomize') };

/** A tools cache holding the real pinned binaries (linked), as `tools install` leaves it. */
function cacheWith(...tools: ('kubectl' | 'kustomize')[]): string {
  const cache = tempDir('gitops-flow-cache-');
  for (const t of tools) {
    const dir = join(cache, 'bin', `${t}-${pinned[t]}`);
    mkdirSync(dir, { recursive: true });
    symlinkSync(REAL[t], join(dir, t));
  }
  return cache;
}

/** A folder of STUBs: kubectl reporting `kubectlVersion`; kustomize reporting `kustomizeVersion`, recording its argv and building with the real one. */
function stubs(o: { kubectlVersion?: string; kustomizeVersion?: string }): { dir: string; calls: string } {
  const dir = tempDir('gitops-flow-stubs-');
  const calls = join(dir, 'calls.log');
  if (o.kubectlVersion) {
    writeFileSync(
      join(dir, 'kubectl'),
      `#!/bin/sh\n# STUB kubectl of another version\necho '{"clientVersion":{"gitVersion":"${o.kubectlVersion}"}}'\n`,
    );
    chmodSync(join(dir, 'kubectl'), 0o755);
  }
  if (o.kustomizeVersion) {
    writeFileSync(
      join(dir, 'kustomize'),
      `#!/bin/sh\n# STUB kustomize of another version: records its argv, builds with the real one\necho "$*" >> "${calls}"\n[ "$1" = version ] && { echo ${o.kustomizeVersion}; exit 0; }\nexec "${REAL.kustomize}" "$@"\n`,
    );
    chmodSync(join(dir, 'kustomize'), 0o755);
  }
  return { dir, calls };
}

interface Check {
  name: string;
  ok: boolean | null;
  detail: string;
}

async function doctor(env: NodeJS.ProcessEnv) {
  const r = await runCli(['-C', makeRepo(exampleFiles()), '--json', 'doctor'], { env });
  const checks = (JSON.parse(r.stdout) as { checks: Check[] }).checks;
  return { ...r, check: (name: string) => checks.find((c) => c.name === name) as Check };
}

describe('tool discovery', () => {
  it('the tools cache comes before PATH: a mismatched kubectl on PATH is not used (doctor says which one is)', async () => {
    const cache = cacheWith('kubectl', 'kustomize');
    const path = stubs({ kubectlVersion: 'v1.32.4-dispatcher' }).dir;
    const r = await doctor(cleanEnv({ GITOPS_FLOW_CACHE: cache, PATH: `${path}:/usr/bin:/bin` }));
    expect(r.code, r.stderr).toBe(0);
    const bin = join(cache, 'bin', `kubectl-${pinned.kubectl}`, 'kubectl');
    expect(r.check('kubectl')).toMatchObject({ ok: true, detail: `${pinned.kubectl} (${bin}, from the tools cache)` });
    expect(r.stderr).toMatch(new RegExp(`^✓ kustomize +${pinned.kustomize} \\(.*, from the tools cache\\)$`, 'm'));
  });

  it('without the cache the PATH one is used, and doctor fails it naming its version, path and the fix', async () => {
    const path = stubs({ kubectlVersion: 'v1.32.4-dispatcher' }).dir;
    const r = await doctor(cleanEnv({ PATH: `${path}:${kustomizeDir}:/usr/bin:/bin` }));
    expect(r.code).toBe(1);
    expect(r.check('kubectl')).toMatchObject({
      ok: false,
      detail: `v1.32.4-dispatcher at ${path}/kubectl, from PATH, pinned ${pinned.kubectl}`,
    });
    expect(r.stderr).toContain('fix: Run `gitops-flow tools install kubectl`');
  });

  it('GITOPS_FLOW_TOOLS_DIR comes first, before the cache', async () => {
    const dir = tempDir('gitops-flow-tools-');
    symlinkSync(REAL.kustomize, join(dir, 'kustomize'));
    const cache = cacheWith('kubectl', 'kustomize');
    const env = cleanEnv({ GITOPS_FLOW_TOOLS_DIR: dir, GITOPS_FLOW_CACHE: cache, PATH: '/usr/bin:/bin' });
    expect(locateTool('kustomize', env)).toMatchObject({
      path: join(dir, 'kustomize'),
      source: 'GITOPS_FLOW_TOOLS_DIR',
    });
    // kubectl is not in that folder: the cache's.
    expect(locateTool('kubectl', env)).toMatchObject({ source: 'tools cache' });
    const r = await doctor(env);
    expect(r.check('kustomize').detail).toBe(`${pinned.kustomize} (${dir}/kustomize, from GITOPS_FLOW_TOOLS_DIR)`);
  });

  it('every child (run: steps too) gets the located tools first on PATH; locating again finds the same', () => {
    const cache = cacheWith('kubectl', 'kustomize');
    const env = cleanEnv({ GITOPS_FLOW_CACHE: cache, PATH: '/usr/bin:/bin' });
    const withTools = withPinnedTools(env);
    expect(withTools.PATH).toBe(
      [
        join(cache, 'bin', `kubectl-${pinned.kubectl}`),
        join(cache, 'bin', `kustomize-${pinned.kustomize}`),
        '/usr/bin:/bin',
      ].join(':'),
    );
    expect(withPinnedTools(withTools)).toBe(withTools);
    expect(locateTool('kubectl', withTools)).toEqual(locateTool('kubectl', env));
  });

  it('--verbose: which binary and version; a kustomize of another version is a warning, and the render still runs', async () => {
    const s = stubs({ kustomizeVersion: 'v5.0.0' });
    const repo = makeRepo(exampleFiles());
    const env = cleanEnv({ PATH: `${s.dir}:/usr/bin:/bin` });
    const r = await runCli(['-C', repo, '--verbose', 'render', '--env', 'dev'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`kustomize v5.0.0: ${s.dir}/kustomize (PATH)`);
    expect(r.stderr).toContain(
      `warning: kustomize at ${s.dir}/kustomize (PATH) is v5.0.0, not the pinned ${pinned.kustomize} of ci/tools.json`,
    );
    expect(readFileSync(s.calls, 'utf8').split('\n').filter(Boolean)).toEqual([
      'version',
      `build ${repo}/kustomizations/overlays/dev`,
    ]);
  });

  it('without --verbose nothing extra is run: only the build', async () => {
    const s = stubs({ kustomizeVersion: 'v5.0.0' });
    const repo = makeRepo(exampleFiles());
    const r = await runCli(['-C', repo, 'render', '--env', 'dev'], {
      env: cleanEnv({ PATH: `${s.dir}:/usr/bin:/bin` }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('warning');
    expect(readFileSync(s.calls, 'utf8').trim()).toBe(`build ${repo}/kustomizations/overlays/dev`);
  });

  it('tools list --json: each tool, where it was found, its version, whether the cache has it, its download', async () => {
    const cache = cacheWith('kustomize');
    const path = stubs({ kubectlVersion: 'v1.32.4-dispatcher' }).dir;
    const r = await runCli(['--json', 'tools', 'list'], {
      env: cleanEnv({ GITOPS_FLOW_CACHE: cache, PATH: `${path}:/usr/bin:/bin` }),
    });
    expect(r.code, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { tools: Record<string, unknown>[] }).tools;
    expect(rows.map((x) => [x.tool, x.source, x.version, x.cached])).toEqual([
      ['kubectl', 'PATH', 'v1.32.4-dispatcher', false],
      ['kustomize', 'tools cache', pinned.kustomize, true],
      ['helm', null, null, false],
    ]);
    // helm is optional (only envs with build.enableHelm need it): its absence is said, not an error.
    expect(r.stderr).toMatch(
      /^- helm +pinned v3\.22\.0 +not found \(needed only for build\.enableHelm: tools install helm\)/m,
    );
    expect(r.stderr).toMatch(/^! kubectl +pinned v1\.36\.3 +v1\.32\.4-dispatcher at /m);
    expect(r.stderr).toContain('Run `gitops-flow tools install`');
  });
});
