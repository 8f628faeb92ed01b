/**
 * What is shipped is what is tested: `npm pack` the package (its `files`), `npm install` the tarball into
 * an empty folder as a user would, and run the installed `gitops-flow` there with a clean environment:
 * --version, init, tools list, tools install (the shipped ci/tools build, from the Go module proxy: the
 * official downloads are not reachable here) and a render with nothing added to PATH.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../helpers/git-fixtures.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

describe('npm pack → npm install → run', () => {
  it('the installed package runs --version, init, tools list, tools install and render', { timeout: 600_000 }, () => {
    expect(existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js')), 'npm run build first').toBe(true);
    const work = tempDir('gitops-flow-pack-');
    // --ignore-scripts: `prepare` would rebuild dist/ under the other tests' feet.
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      }),
    ) as { filename: string; files: { path: string }[] }[];
    const files = packed[0]?.files.map((f) => f.path) ?? [];
    expect(files).toEqual(expect.arrayContaining(['bin/gitops-flow.js', 'dist/cli/main.js', 'ci/tools.json']));
    expect(files).toEqual(
      expect.arrayContaining(['ci/tools/build.sh', 'ci/tools/kustomize/go.mod', 'ci/tools/kustomize/go.sum']),
    );
    expect(files.filter((f) => /^(src|test|examples|docs)\//.test(f))).toEqual([]);

    const app = join(work, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, packed[0]?.filename as string)],
      { cwd: app, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const bin = join(app, 'node_modules', '.bin', 'gitops-flow');
    const home = tempDir('gitops-flow-home-');
    const go = execFileSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' }).trim();
    // A user's shell: node and go, the system's /usr/bin (whose kubectl here is another version), a HOME;
    // the Go caches of this machine so the build below is a link of cached packages.
    const env: NodeJS.ProcessEnv = {
      PATH: `${dirname(process.execPath)}:${dirname(go)}:/usr/bin:/bin`,
      HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'T',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 'T',
      GIT_COMMITTER_EMAIL: 't@example.com',
      ...Object.fromEntries(
        ['GOCACHE', 'GOMODCACHE', 'GOPATH'].map((k) => [
          k,
          execFileSync('go', ['env', k], { encoding: 'utf8' }).trim(),
        ]),
      ),
    };
    const run = (args: string[]) => {
      const r = spawnSync(bin, args, { cwd: app, env, encoding: 'utf8' });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };

    expect(run(['--version']).stdout.trim()).toBe(pkg.version);

    const init = run(['-C', 'env', 'init', '--app', 'shop']);
    expect(init.code, init.stderr).toBe(0);
    expect(existsSync(join(app, 'env', 'kustomizations', 'overlays', 'dev', 'kustomization.yaml'))).toBe(true);

    const list = run(['--json', 'tools', 'list']);
    expect(list.code, list.stderr).toBe(0);
    const rows = (JSON.parse(list.stdout) as { tools: { tool: string; pinned: string; source: string | null }[] })
      .tools;
    expect(rows.map((r) => [r.tool, r.pinned])).toEqual([
      ['kubectl', 'v1.36.3'],
      ['kustomize', 'v5.8.2'],
      ['helm', 'v3.22.0'],
    ]);
    expect(rows.find((r) => r.tool === 'kustomize')?.source).toBeNull();

    const before = run(['-C', 'env', 'render', '--env', 'dev']);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('error[TOOL_MISSING]');
    expect(before.stderr).toContain('gitops-flow tools install');

    const install = run(['tools', 'install', 'kustomize', '--from', 'build']);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).toContain(join(app, 'node_modules', 'gitops-flow', 'ci', 'tools', 'build.sh'));
    expect(existsSync(join(home, '.cache', 'gitops-flow', 'bin', 'kustomize-v5.8.2', 'kustomize'))).toBe(true);

    const render = run(['-C', 'env', 'render', '--env', 'dev']);
    expect(render.code, render.stderr).toBe(0);
    expect(render.stdout).toContain('name: shop');
    expect(render.stdout).toContain('namespace: shop-dev');
  });
});
