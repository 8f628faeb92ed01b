/** ci/tools.json: the schema the CLI reads, and downloads that stay in step with the pinned versions. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseToolsManifest,
  platformKey,
  RUN_TOOLS,
  sameVersion,
  toolDirName,
  toolDownload,
} from '../../src/core/tools-manifest.js';
import { REPO_ROOT } from '../helpers/git-fixtures.js';

const text = readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8');
const m = parseToolsManifest(text, 'ci/tools.json');

describe('ci/tools.json', () => {
  it('every download of a tool names its pinned version in the URL, has a sha256 and says where the hash came from', () => {
    for (const tool of RUN_TOOLS) {
      const entry = (JSON.parse(text) as { downloads: Record<string, Record<string, unknown>> }).downloads[tool];
      expect(entry?.source, `downloads.${tool}.source`).toMatch(/\S{40}/);
      const platforms = Object.keys(entry ?? {}).filter((k) => k !== 'source');
      expect(platforms.length, tool).toBeGreaterThan(0);
      for (const p of platforms) {
        expect(p).toMatch(/^(linux|darwin|windows)-(amd64|arm64)$/);
        const d = toolDownload(m, tool, p);
        expect(d?.url).toMatch(/^https:\/\//);
        expect(decodeURIComponent(d?.url ?? '')).toContain(m[tool]);
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

  it('no download for a platform the manifest does not list; cache folders and versions as build.sh names them', () => {
    expect(toolDownload(m, 'kubectl', 'plan9-amd64')).toBeUndefined();
    expect(toolDirName('kubectl', 'v1.36.3')).toBe('kubectl-v1.36.3');
    expect(sameVersion('v5.8.2', '5.8.2')).toBe(true);
    expect(sameVersion('v1.32.4-dispatcher', 'v1.36.3')).toBe(false);
  });
});
