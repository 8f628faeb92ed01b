/** ci/tools.json: the schema the CLI reads, and downloads that stay in step with the pinned versions. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  INSTALL_TOOLS,
  parseToolsManifest,
  platformKey,
  sameVersion,
  toolDirName,
  toolDownload,
} from '../../src/core/tools-manifest.js';
import { REPO_ROOT } from '../helpers/git-fixtures.js';

const text = readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8');
const m = parseToolsManifest(text, 'ci/tools.json');

describe('ci/tools.json', () => {
  it('every download of a tool names its pinned version in the URL, has a sha256 and says where the hash came from', () => {
    for (const tool of INSTALL_TOOLS) {
      const entry = (JSON.parse(text) as { downloads: Record<string, Record<string, unknown>> }).downloads[tool];
      expect(entry?.source, `downloads.${tool}.source`).toMatch(/\S{40}/);
      const platforms = Object.keys(entry ?? {}).filter((k) => k !== 'source');
      expect(platforms.length, tool).toBeGreaterThan(0);
      for (const p of platforms) {
        expect(p).toMatch(/^(linux|darwin|windows)-(amd64|arm64)$/);
        const d = toolDownload(m, tool, p);
        expect(d?.url).toMatch(/^https:\/\//);
        expect(decodeURIComponent(d?.url ?? '')).toContain(m[tool] as string);
        expect(d?.url).toContain(p.split('-')[1]);
        expect(d?.sha256).toMatch(/^[0-9a-f]{64}$/);
      }
    }
  });

  it.each([
    ['{"kubectl": "1.2", "kustomize": "v5.8.2", "gcloud": {"version": "1.0.0"}}', 'kubectl: a version such as v1.2.3'],
    [
      '{"kubectl": "v1.2.3", "kustomize": "v5.8.2", "gcloud": {"version": "1.0.0"}, "downloads": {"kubectl": {"linux-amd64": {"url": "https://x/kubectl", "sha256": "abc"}}}}',
      'downloads.kubectl.linux-amd64',
    ],
    ['{"kubectl": ', 'is not JSON'],
    [
      `{"kubectl": "v1.2.3", "kustomize": "v5.8.2", "gcloud": {"version": "1.0.0"}, "downloads": {"helm": {"linux-amd64": {"url": "https://x/h.tar.gz", "sha256": "${'a'.repeat(64)}", "extract": "../helm"}}}}`,
      'downloads.helm.linux-amd64.extract: no . or .. in the path',
    ],
    [
      `{"kubectl": "v1.2.3", "kustomize": "v5.8.2", "gcloud": {"version": "1.0.0"}, "downloads": {"helm": {"linux-amd64": {"url": "https://x/h.tar.gz", "sha256": "${'a'.repeat(64)}", "extract": "/usr/bin/helm"}}}}`,
      'downloads.helm.linux-amd64.extract: a path inside the archive such as tool or dir/tool',
    ],
  ])('refuses %s naming the problem', (input, message) => {
    expect(() => parseToolsManifest(input, 'm.json')).toThrow(message);
  });

  it.each([
    ['linux', 'x64', 'linux-amd64'],
    ['linux', 'arm64', 'linux-arm64'],
    ['darwin', 'arm64', 'darwin-arm64'],
    ['win32', 'x64', 'windows-amd64'],
  ])('platform %s/%s is %s', (platform, arch, key) => {
    expect(platformKey(platform, arch)).toBe(key);
  });

  it('an archive member in a folder is allowed (helm: linux-amd64/helm); helm is listed after the tools gitops-flow runs', () => {
    expect(toolDownload(m, 'helm', 'linux-arm64')?.extract).toBe('linux-arm64/helm');
    expect(INSTALL_TOOLS).toEqual(['kubectl', 'kustomize', 'helm']);
  });

  it('no download for a platform the manifest does not list; cache folders and versions as build.sh names them', () => {
    expect(toolDownload(m, 'kubectl', 'plan9-amd64')).toBeUndefined();
    expect(toolDirName('kubectl', 'v1.36.3')).toBe('kubectl-v1.36.3');
    expect(sameVersion('v5.8.2', '5.8.2')).toBe(true);
    expect(sameVersion('v1.32.4-dispatcher', 'v1.36.3')).toBe(false);
  });
});
