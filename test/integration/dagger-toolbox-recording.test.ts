/**
 * The toolbox's recipe as the real SDK sends it (see dagger-recording.test.ts for how it is recorded):
 * the one given, the published one (by digest), or built from source only when asked — every image by
 * digest from ci/tools.json or a mirror of it, and the CLI's build context replayed on the host, so the
 * build is shown to have every file it reads.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { aptSources, gcloudArchive, parseManifest, toolDownload } from '../../dagger/src/manifest.js';
import { call, construct, constructorArgs, ids, recipe, register } from '../helpers/dagger-calls.js';
import { allSteps, replay, replayInclude, secretMisuses, stepsNamed } from '../helpers/dagger-recipe.js';
import { address, type Chain, hostDir } from '../helpers/dagger-recorder.js';
import { REPO_ROOT } from '../helpers/git-fixtures.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8')) as {
  images: Record<string, string>;
  published: { toolbox: string | null };
};
const MIRROR = `registry.internal/library/node:20@sha256:${'d'.repeat(64)}`;
const PUBLISHED = `registry.internal/gitops-flow/toolbox:0.1.0@sha256:${'e'.repeat(64)}`;
const source = () => ids.id(hostDir(REPO_ROOT));

describe('recording: which toolbox', () => {
  it('recording: --toolbox is used as it is', async () => {
    const parent = await construct({ source: source(), toolbox: ids.id(address(PUBLISHED)) });
    expect(recipe(await call(parent, 'toolbox', {}))).toEqual(address(PUBLISHED));
  });

  it('recording: by default the published toolbox, by digest (here a mirror of it); else a clear error', async () => {
    const mirrored = await construct({ source: source(), mirrors: [`published=${PUBLISHED}`] });
    const chain = recipe(await call(mirrored, 'toolbox', {}));
    expect(chain).toEqual([
      { field: 'container', args: {} },
      { field: 'from', args: { address: PUBLISHED } },
    ]);
    const parent = await construct({ source: source() });
    const rec = await call(parent, 'toolbox', {}, { failing: true });
    if (manifest.published.toolbox === null)
      expect(rec.error).toMatch(
        /No toolbox is published for this version yet .* --toolbox <image address>, or --build-toolbox/,
      );
    else
      expect(recipe(rec)).toEqual([
        { field: 'container', args: {} },
        { field: 'from', args: { address: manifest.published.toolbox } },
      ]);
  });
});

describe('recording: the toolbox built from source (--build-toolbox)', () => {
  let built: Chain;
  let ignore: string[];
  beforeAll(async () => {
    ignore = constructorArgs(await register()).source?.ignore as string[];
    const parent = await construct({ source: source(), buildToolbox: true, mirrors: [`node=${MIRROR}`] });
    built = recipe(await call(parent, 'toolbox', {}));
  });

  it('recording: every image is one of ci/tools.json by digest, or the mirror given for it', () => {
    const froms = new Set(stepsNamed(built, 'from').map((s) => s.args.address));
    expect(froms).toEqual(new Set([MIRROR, manifest.images.toolbox]));
    expect(secretMisuses(built)).toEqual([]);
  });

  it('recording: kubectl, kustomize, helm and gcloud are downloads checked by sha256, apt from the dated snapshot, gcloud components from its own release', () => {
    const m = parseManifest(readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8'));
    const http = stepsNamed(built, 'http').map((s) => [s.args.url, s.args.checksum]);
    const kubectl = toolDownload(m, 'kubectl', 'linux/amd64');
    const kustomize = toolDownload(m, 'kustomize', 'linux/amd64');
    const helm = toolDownload(m, 'helm', 'linux/amd64');
    const gcloud = gcloudArchive(m, 'linux/amd64');
    expect(new Set(http.map(String))).toEqual(
      new Set(
        [
          [kubectl.url, `sha256:${kubectl.sha256}`],
          [kustomize.url, `sha256:${kustomize.sha256}`],
          [helm.url, `sha256:${helm.sha256}`],
          [gcloud.url, gcloud.checksum],
        ].map(String),
      ),
    );
    const sources = stepsNamed(built, 'withNewFile').find(
      (s) => s.args.path === '/etc/apt/sources.list.d/debian.sources',
    );
    expect(sources?.args.contents).toBe(aptSources(m));
    const execs = stepsNamed(built, 'withExec').map((s) => (s.args.args as string[]).join(' '));
    expect(execs).toContain(`apt-get install -y -qq --no-install-recommends ${m.apt.packages.join(' ')}`);
    expect(execs).toContain(
      `/opt/google-cloud-sdk/bin/gcloud config set component_manager/fixed_sdk_version ${m.gcloud.version} --installation --quiet`,
    );
    expect(execs).toContain('/opt/google-cloud-sdk/bin/gcloud components install gke-gcloud-auth-plugin --quiet');
  });

  it('recording: helm (for build.enableHelm) is the official v3.22.0 archive checked by sha256, unpacked to /usr/local/bin/helm alone', () => {
    const m = parseManifest(readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8'));
    const helm = toolDownload(m, 'helm', 'linux/amd64');
    expect(helm).toEqual({
      url: `https://get.helm.sh/helm-${m.helm}-linux-amd64.tar.gz`,
      sha256: '1e4ab49e429626cf6c6958d914248b78c9730803c2751b87627e171dc800e7bb',
      extract: 'linux-amd64/helm',
    });
    expect(toolDownload(m, 'helm', 'linux/arm64').sha256).toBe(
      'f14e804dfee240f55525b667488fe9adca349e63e00c9af634c0beb1421ac310',
    );
    // The archive is mounted from a checksummed http() (the engine refuses other bytes), then unpacked.
    const mount = stepsNamed(built, 'withMountedFile').find((s) => s.args.path === '/tmp/helm.tar.gz');
    expect(mount?.args.source).toEqual([
      { field: 'http', args: { url: helm.url, checksum: `sha256:${helm.sha256}`, permissions: 0o755 } },
    ]);
    const execs = stepsNamed(built, 'withExec').map((s) => s.args.args as string[]);
    const unpack = execs.findIndex((a) => a.includes('/tmp/helm.tar.gz'));
    expect(execs[unpack]).toEqual([
      'tar',
      '-xzf',
      '/tmp/helm.tar.gz',
      '-C',
      '/usr/local/bin',
      '--strip-components=1',
      'linux-amd64/helm',
    ]);
    // kustomize's unpack is unchanged (its archive holds the binary at its root).
    expect(execs).toContainEqual(['tar', '-xzf', '/tmp/kustomize.tar.gz', '-C', '/usr/local/bin', 'kustomize']);
  });

  it('recording: with --download-mirror every download, apt and the gcloud snapshot come from the mirror, still checked', async () => {
    const parent = await construct({
      source: source(),
      buildToolbox: true,
      downloadMirror: 'https://mirror.internal/dl',
    });
    const chain = recipe(await call(parent, 'toolbox', {}));
    const urls = stepsNamed(chain, 'http').map((s) => [s.args.url, s.args.checksum] as [string, string]);
    expect(urls).toHaveLength(4);
    for (const [url, checksum] of urls) {
      expect(url).toMatch(/^https:\/\/mirror\.internal\/dl\/(dl\.k8s\.io|github\.com|get\.helm\.sh|dl\.google\.com)\//);
      expect(checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    const sources = stepsNamed(chain, 'withNewFile')
      .map((s) => String(s.args.contents))
      .join('');
    expect(sources).toContain('URIs: https://mirror.internal/dl/snapshot.debian.org/archive/debian/');
    const execs = stepsNamed(chain, 'withExec').map((s) => (s.args.args as string[]).join(' '));
    expect(
      execs.some((e) =>
        e.includes(
          'component_manager/snapshot_url https://mirror.internal/dl/dl.google.com/dl/cloudsdk/channels/rapid/components-v',
        ),
      ),
    ).toBe(true);
  });

  it("recording: the CLI's build context builds it (replayed on the host), and what ships runs", () => {
    const ship = allSteps(built).find(
      (s) => s.step.field === 'withDirectory' && s.step.args.path === '/opt/gitops-flow',
    );
    // directory().withDirectory('.', <container>.directory('/app'), { include })
    const shipped = ship?.step.args.source as Chain;
    const keep = shipped.find((s) => s.field === 'withDirectory')?.args as { source: Chain; include: string[] };
    expect(keep.source.at(-1)).toEqual({ field: 'directory', args: { path: '/app' } });
    const build = keep.source.slice(0, -1);
    expect(stepsNamed(build, 'withExec').map((s) => (s.args.args as string[]).slice(0, 3).join(' '))).toEqual([
      'npm ci --ignore-scripts',
      'npm run build',
      'npm prune --omit=dev',
    ]);
    const out = replayInclude(replay(build, ignore), 'app', keep.include);
    const version = execFileSync(process.execPath, [join(out, 'bin/gitops-flow.js'), '--version'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(version.trim()).toBe(
      (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    );
  });
});
