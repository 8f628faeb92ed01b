/**
 * `gitops-flow tools install`: official binaries fetched from a download mirror on loopback
 * (GITOPS_FLOW_TOOLS_MIRROR), checked against the manifest's sha256, put in the tools cache whole; a
 * wrong checksum refused with nothing installed; the Go-module-proxy build when no download is possible.
 * The binaries the mirror serves are STUBs or the pinned kustomize itself (the official ones cannot be
 * fetched here), so the manifest is injected where the checksum must match, and the real ci/tools.json
 * is used where it must not.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { mirrored } from '../../src/adapters/tools/download.js';
import { buildTools, toolDir } from '../../src/cluster/tools.js';
import { toolsInstall } from '../../src/commands/tools/index.js';
import { GitopsError } from '../../src/core/errors.js';
import type { CommandContext } from '../../src/core/io.js';
import { createLogger } from '../../src/core/io.js';
import { parseToolsManifest, platformKey, type ToolsManifest, toolDownload } from '../../src/core/tools-manifest.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { exampleFiles, makeRepo, REPO_ROOT, tempDir } from '../helpers/git-fixtures.js';
import { type Mirror, sha256, startMirror, stubKubectlBytes, tarGzOf } from '../helpers/tools-mirror.js';

const real = parseToolsManifest(readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8'), 'ci/tools.json');
const [kustomizeDir] = inject('toolPath').split(':') as [string, string];
const KUBECTL_URL = 'https://dl.k8s.io/release/v1.36.3/bin/linux/amd64/kubectl';
const KUSTOMIZE_URL = 'https://example.invalid/kustomize/v5.8.2/kustomize_v5.8.2_linux_amd64.tar.gz';
const HELM_URL = 'https://get.helm.sh/helm-v3.22.0-linux-amd64.tar.gz';

/** ci/tools.json with these downloads for linux-amd64 instead of the real ones. */
function manifestWith(downloads: Record<string, { url: string; sha256: string; extract?: string }>): ToolsManifest {
  return {
    ...real,
    downloads: Object.fromEntries(Object.entries(downloads).map(([tool, d]) => [tool, { 'linux-amd64': d }])),
  };
}

function context(env: NodeJS.ProcessEnv): { ctx: CommandContext; stderr: () => string } {
  const err = new PassThrough();
  const chunks: Buffer[] = [];
  err.on('data', (b: Buffer) => chunks.push(b));
  const io = { cwd: tempDir(), env, stdout: new PassThrough(), stderr: err };
  return {
    ctx: { io, log: createLogger(io, { verbose: false }), opts: { dryRun: false, verbose: false, json: false } },
    stderr: () => Buffer.concat(chunks).toString(),
  };
}

/** What a cache holds: folders (including any temp leftovers) and their files. */
function cacheContents(cache: string): string[] {
  const bin = join(cache, 'bin');
  if (!existsSync(bin)) return [];
  return readdirSync(bin).flatMap((d) => {
    if (!statSync(join(bin, d)).isDirectory()) return [d];
    const files = readdirSync(join(bin, d));
    return files.length > 0 ? files.map((f) => `${d}/${f}`) : [`${d}/`];
  });
}

let mirror: Mirror | undefined;
afterEach(async () => {
  await mirror?.close();
  mirror = undefined;
});

describe('tools install: downloads', () => {
  it('maps an official URL onto the mirror as <mirror>/<host>/<path>, keeping the escapes', () => {
    expect(mirrored(KUBECTL_URL, undefined)).toBe(KUBECTL_URL);
    expect(mirrored(KUSTOMIZE_URL, 'http://127.0.0.1:9/m/')).toBe(
      'http://127.0.0.1:9/m/example.invalid/kustomize/v5.8.2/kustomize_v5.8.2_linux_amd64.tar.gz',
    );
    expect(mirrored('https://github.com/o/r/releases/download/kustomize%2Fv5.8.2/k.tar.gz', 'http://127.0.0.1:9')).toBe(
      'http://127.0.0.1:9/github.com/o/r/releases/download/kustomize%2Fv5.8.2/k.tar.gz',
    );
  });

  it('a binary with the right checksum lands in <cache>/bin/kubectl-<version>/, executable; a second run does nothing', async () => {
    const bytes = stubKubectlBytes(real.kubectl);
    mirror = await startMirror({ [KUBECTL_URL]: bytes });
    const cache = tempDir('gitops-flow-cache-');
    const env = cleanEnv({ GITOPS_FLOW_CACHE: cache, GITOPS_FLOW_TOOLS_MIRROR: mirror.url });
    const manifest = manifestWith({ kubectl: { url: KUBECTL_URL, sha256: sha256(bytes) } });
    const { ctx, stderr } = context(env);

    const [r] = await toolsInstall({ tools: ['kubectl'], manifest, platform: 'linux-amd64' }, ctx);
    const bin = join(cache, 'bin', `kubectl-${real.kubectl}`, 'kubectl');
    expect(r).toMatchObject({ tool: 'kubectl', how: 'downloaded', path: bin, sha256: sha256(bytes) });
    expect(readFileSync(bin)).toEqual(bytes);
    expect(statSync(bin).mode & 0o777).toBe(0o755);
    expect(execFileSync(bin, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })).toContain(real.kubectl);
    expect(cacheContents(cache)).toEqual([
      `kubectl-${real.kubectl}/.gitops-flow-tool.json`,
      `kubectl-${real.kubectl}/kubectl`,
    ]);
    expect(stderr()).toContain(`✓ kubectl ${real.kubectl} downloaded in`);
    expect(mirror.requests).toEqual([`/mirror/dl.k8s.io${new URL(KUBECTL_URL).pathname}`]);

    const [again] = await toolsInstall({ tools: ['kubectl'], manifest, platform: 'linux-amd64' }, ctx);
    expect(again?.how).toBe('already installed');
    expect(mirror.requests).toHaveLength(1);
  });

  it('kustomize from a .tar.gz: only its one member is taken; then render works with nothing added to PATH', async () => {
    const archive = tarGzOf(join(kustomizeDir, 'kustomize'), 'kustomize');
    mirror = await startMirror({ [KUSTOMIZE_URL]: archive });
    const cache = tempDir('gitops-flow-cache-');
    const env = cleanEnv({ GITOPS_FLOW_CACHE: cache, GITOPS_FLOW_TOOLS_MIRROR: mirror.url, PATH: '/usr/bin:/bin' });
    const manifest = manifestWith({ kustomize: { url: KUSTOMIZE_URL, sha256: sha256(archive), extract: 'kustomize' } });

    const repo = makeRepo(exampleFiles());
    const before = await runCli(['-C', repo, 'render', '--env', 'dev'], { env });
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('error[TOOL_MISSING]: kustomize was not found');

    const [r] = await toolsInstall({ tools: ['kustomize'], manifest, platform: 'linux-amd64' }, context(env).ctx);
    expect(r?.how).toBe('downloaded');
    expect(cacheContents(cache)).toEqual([
      `kustomize-${real.kustomize}/.gitops-flow-tool.json`,
      `kustomize-${real.kustomize}/kustomize`,
    ]);
    const after = await runCli(['-C', repo, '--verbose', 'render', '--env', 'dev'], { env });
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain('kind: Deployment');
    expect(after.stderr).toContain(
      `kustomize ${real.kustomize}: ${join(cache, 'bin', `kustomize-${real.kustomize}`, 'kustomize')} (tools cache)`,
    );
  });

  it('the real ci/tools.json, a mirror serving other bytes: TOOL_CHECKSUM_MISMATCH, exit 1, nothing installed, no build', async () => {
    const official = toolDownload(real, 'kubectl', platformKey(process.platform, process.arch));
    expect(official, 'ci/tools.json has a kubectl download for this platform').toBeDefined();
    mirror = await startMirror({
      [official?.url as string]: Buffer.from('#!/bin/sh\n# STUB: not the official kubectl\n'),
    });
    const cache = tempDir('gitops-flow-cache-');
    const env = cleanEnv({ GITOPS_FLOW_CACHE: cache, GITOPS_FLOW_TOOLS_MIRROR: mirror.url });
    for (const from of ['download', 'auto']) {
      const r = await runCli(['tools', 'install', 'kubectl', '--from', from], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('error[TOOL_CHECKSUM_MISMATCH]');
      expect(r.stderr).toContain(`not the ${official?.sha256} that ci/tools.json pins for kubectl`);
      expect(r.stderr).toContain('refused, nothing was installed');
      expect(r.stderr).not.toContain('building');
      expect(cacheContents(cache)).toEqual([]);
    }
  });

  it('--from download with nothing to download: TOOL_INSTALL_FAILED (404 from the mirror; no entry for the platform)', async () => {
    mirror = await startMirror({});
    const cache = tempDir('gitops-flow-cache-');
    const env = cleanEnv({ GITOPS_FLOW_CACHE: cache, GITOPS_FLOW_TOOLS_MIRROR: mirror.url });
    const r = await runCli(['tools', 'install', 'kustomize', '--from', 'download'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error\[TOOL_INSTALL_FAILED\]: Could not download kustomize v5\.8\.2: .*HTTP 404/);
    expect(cacheContents(cache)).toEqual([]);

    const none = toolsInstall({ tools: ['kubectl'], from: 'download', platform: 'plan9-amd64' }, context(env).ctx);
    await expect(none).rejects.toThrow(GitopsError);
    await expect(none).rejects.toThrow('ci/tools.json has no download of kubectl v1.36.3 for plan9-amd64');
  });

  it('auto: a failed download falls back to the Go module proxy build (ci/tools/build.sh), with its progress', async () => {
    mirror = await startMirror({});
    const cache = tempDir('gitops-flow-cache-');
    // The machine's Go caches (the build is then a link of cached packages), go on PATH.
    const goEnv = Object.fromEntries(
      ['GOCACHE', 'GOMODCACHE', 'GOPATH'].map((k) => [k, execFileSync('go', ['env', k], { encoding: 'utf8' }).trim()]),
    );
    const go = execFileSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' }).trim();
    const env = cleanEnv({
      GITOPS_FLOW_CACHE: cache,
      GITOPS_FLOW_TOOLS_MIRROR: mirror.url,
      PATH: `${join(go, '..')}:/usr/bin:/bin`,
      ...goEnv,
    });
    const r = await runCli(['--json', 'tools', 'install', 'kustomize'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: kustomize: download failed \(.*HTTP 404\); building it from the Go module proxy/,
    );
    expect(r.stderr).toContain('build.sh: building kustomize v5.8.2');
    const [installed] = (JSON.parse(r.stdout) as { installed: { how: string; path: string }[] }).installed;
    expect(installed?.how).toBe('built');
    expect(execFileSync(installed?.path as string, ['version'], { encoding: 'utf8' })).toContain('v5.8.2');
  });
});

describe('tools install helm (for build.enableHelm)', () => {
  const chart = {
    'kustomizations/base/charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
    'kustomizations/base/charts/web/values.yaml': 'image: registry.example.com/team/web:1.0.0\n',
    'kustomizations/base/charts/web/templates/deployment.yaml':
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: "{{ .Values.image }}"}]\n',
    'kustomizations/base/kustomization.yaml': 'helmCharts:\n- name: web\n  releaseName: web\n',
    'kustomizations/overlays/prod/kustomization.yaml': 'resources:\n- ../../base\nnamespace: prod\n',
    'gitops-flow.yaml': 'build: {enableHelm: true}\nenvironments:\n  prod: {}\n',
  };

  it('the archive member linux-amd64/helm lands alone in <cache>/bin/helm-<version>/; an enableHelm env then renders with it', async () => {
    // The official archive's layout, holding the real pinned helm (built here: get.helm.sh is unreachable).
    await buildTools(['helm']);
    const archive = tarGzOf(join(await toolDir('helm'), 'helm'), 'linux-amd64/helm');
    mirror = await startMirror({ [HELM_URL]: archive });
    const cache = tempDir('gitops-flow-cache-');
    const env = cleanEnv({ GITOPS_FLOW_CACHE: cache, GITOPS_FLOW_TOOLS_MIRROR: mirror.url });
    const manifest = manifestWith({ helm: { url: HELM_URL, sha256: sha256(archive), extract: 'linux-amd64/helm' } });
    const repo = makeRepo(chart);
    const before = await runCli(['-C', repo, '--json', 'status', '--no-cluster'], { env });
    expect(before.code).toBe(1);
    expect(before.stderr).toContain(
      'hint: kustomize runs helm for helmCharts and found none: run gitops-flow tools install helm',
    );

    const [r] = await toolsInstall({ tools: ['helm'], manifest, platform: 'linux-amd64' }, context(env).ctx);
    expect(r).toMatchObject({ tool: 'helm', how: 'downloaded', sha256: sha256(archive) });
    expect(cacheContents(cache)).toEqual([`helm-${real.helm}/.gitops-flow-tool.json`, `helm-${real.helm}/helm`]);
    expect(
      execFileSync(join(cache, 'bin', `helm-${real.helm}`, 'helm'), ['version', '--short'], { encoding: 'utf8' }),
    ).toContain(real.helm);
    const after = await runCli(['-C', repo, '--json', 'status', '--no-cluster'], { env });
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout).environments.prod.images).toEqual({
      'registry.example.com/team/web': 'registry.example.com/team/web:1.0.0',
    });

    const list = await runCli(['--json', 'tools', 'list'], { env });
    const helm = (JSON.parse(list.stdout) as { tools: Record<string, unknown>[] }).tools.find((t) => t.tool === 'helm');
    expect(helm).toMatchObject({ pinned: real.helm, source: 'tools cache', cached: true, optional: true });
  });

  it('the real ci/tools.json: helm is the official archive checked by its sha256 (a mirror serving other bytes is refused)', async () => {
    const official = toolDownload(real, 'helm', 'linux-amd64');
    expect(official).toEqual({
      url: HELM_URL,
      sha256: '1e4ab49e429626cf6c6958d914248b78c9730803c2751b87627e171dc800e7bb',
      extract: 'linux-amd64/helm',
    });
    mirror = await startMirror({ [HELM_URL]: tarGzOf(join(kustomizeDir, 'kustomize'), 'linux-amd64/helm') });
    const cache = tempDir('gitops-flow-cache-');
    const env = cleanEnv({ GITOPS_FLOW_CACHE: cache, GITOPS_FLOW_TOOLS_MIRROR: mirror.url });
    const r = await runCli(['tools', 'install', 'helm', '--from', 'download'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[TOOL_CHECKSUM_MISMATCH]');
    expect(r.stderr).toContain(`not the ${official?.sha256} that ci/tools.json pins for helm`);
    expect(mirror.requests).toEqual(['/mirror/get.helm.sh/helm-v3.22.0-linux-amd64.tar.gz']);
    expect(cacheContents(cache)).toEqual([]);
  });
});
