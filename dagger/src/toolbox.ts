/**
 * The toolbox every function runs in. By default the image the project's release job published for
 * this version (ci/tools.json `published.toolbox`, by digest): pulled, not built, so a cold CI job
 * reaches gitops-flow in the time of one image pull. Built from source only when asked (--build-toolbox),
 * and then only from what ci/tools.json pins:
 * - the Debian base image by digest, its packages from snapshot.debian.org at one date;
 * - kubectl, kustomize and helm, the official release binaries verified by sha256 (`downloads`): helm
 *   always, so one published toolbox serves env repos with `build.enableHelm` too (kustomize runs it
 *   for helmCharts:); it adds about 60 MB unpacked (the locally built v3.22.0 binary is 61.6 MB);
 * - gcloud from its versioned archive verified by sha256, gke-gcloud-auth-plugin from the component
 *   snapshot of exactly that release (fixed_sdk_version; gcloud checks each component's checksum);
 * - node by digest, and the gitops-flow CLI built from this repository (`npm ci` from the lockfile).
 * Every image can be replaced by a mirror (--mirrors), every download fetched from a mirror (--download-mirror).
 */
import { type Container, type Directory, dag } from '@dagger.io/dagger';
import {
  aptSources,
  gcloudArchive,
  gcloudSnapshot,
  mirrored,
  parseManifest,
  type ToolsManifest,
  toolDownload,
} from './manifest.js';
import type { Shared } from './session.js';

const TOOLBOX_PATH = '/opt/google-cloud-sdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The toolbox a call runs in: the one given (--toolbox), else built from source when asked
 * (--build-toolbox), else the one published for this version (ci/tools.json `published.toolbox`, by digest).
 */
export async function resolveToolbox(s: Shared): Promise<Container> {
  if (s.toolboxImage) return s.toolboxImage;
  const m = parseManifest(await s.source.file('ci/tools.json').contents(), s.mirrors);
  if (s.buildToolbox) return buildToolbox(s.source, m, s.downloadMirror);
  if (m.published.toolbox) return dag.container().from(m.published.toolbox);
  throw new Error(
    'No toolbox is published for this version yet (ci/tools.json published.toolbox is null): pass --toolbox <image address>, or --build-toolbox to build it from source.',
  );
}

/**
 * The gitops-flow CLI, built from `source` as the module loaded it (the whole repository but what the
 * `source` argument ignores), so the build sees every file it may read and nothing is listed twice:
 * dependencies from the lockfile first (a layer that changes only with package.json and the lockfile,
 * no install scripts), then the build, then dev dependencies pruned. What ships is what package.json's
 * `files` lists, with package.json and the production node_modules.
 */
async function cli(source: Directory, m: ToolsManifest): Promise<Directory> {
  const pkg = JSON.parse(await source.file('package.json').contents()) as { files: string[] };
  const built = dag
    .container()
    .from(m.images.node)
    .withWorkdir('/app')
    .withFile('/app/package.json', source.file('package.json'))
    .withFile('/app/package-lock.json', source.file('package-lock.json'))
    .withMountedCache('/root/.npm', dag.cacheVolume('gitops-flow-npm'))
    .withExec(['npm', 'ci', '--ignore-scripts', '--no-audit', '--no-fund'])
    .withDirectory('/app', source)
    .withExec(['npm', 'run', 'build'])
    .withExec(['npm', 'prune', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund']);
  const shipped = ['package.json', 'node_modules', ...pkg.files].flatMap((f) => [f, `${f}/**`]);
  return dag.directory().withDirectory('.', built.directory('/app'), { include: shipped });
}

/** Debian's git, ssh, CA certificates and the Python gcloud runs on, at the snapshot date. */
function base(m: ToolsManifest, mirror?: string): Container {
  return (
    dag
      .container()
      .from(m.images.toolbox)
      .withNewFile('/etc/apt/sources.list.d/debian.sources', aptSources(m, mirror))
      .withExec(['rm', '-f', '/etc/apt/sources.list'])
      // A snapshot's Release files are past their Valid-Until by design; their signatures are still checked.
      .withExec(['apt-get', '-o', 'Acquire::Check-Valid-Until=false', 'update', '-qq'])
      .withExec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...m.apt.packages])
      .withExec(['rm', '-rf', '/var/lib/apt/lists'])
  );
}

/** gcloud at the pinned version, with its pinned components from the same release's snapshot. */
function gcloud(m: ToolsManifest, platform: string, mirror?: string): Directory {
  const archive = gcloudArchive(m, platform);
  const bin = '/opt/google-cloud-sdk/bin/gcloud';
  // With a mirror, the release's snapshot comes from it (component URLs are relative to the snapshot).
  const pin = mirror
    ? ['component_manager/snapshot_url', mirrored(gcloudSnapshot(m), mirror)]
    : ['component_manager/fixed_sdk_version', m.gcloud.version];
  return base(m, mirror)
    .withMountedFile('/tmp/gcloud.tar.gz', dag.http(mirrored(archive.url, mirror), { checksum: archive.checksum }))
    .withExec(['tar', '-xzf', '/tmp/gcloud.tar.gz', '-C', '/opt'])
    .withExec([bin, 'config', 'set', ...pin, '--installation', '--quiet'])
    .withExec([bin, 'components', 'install', ...m.gcloud.components, '--quiet'])
    .withExec(['rm', '-rf', '/opt/google-cloud-sdk/.install/.backup'])
    .directory('/opt/google-cloud-sdk');
}

/** Builds the toolbox from the module's own source tree (`source` is the gitops-flow repository root). */
async function buildToolbox(source: Directory, m: ToolsManifest, mirror?: string): Promise<Container> {
  const platform = String(await dag.defaultPlatform());
  const kubectl = toolDownload(m, 'kubectl', platform);
  const fetch = (d: { url: string; sha256: string }) =>
    dag.http(mirrored(d.url, mirror), { checksum: `sha256:${d.sha256}`, permissions: 0o755 });
  // An archive's member (kustomize, or helm's linux-amd64/helm) into /usr/local/bin/<tool>, alone.
  const unpack = (c: Container, tool: 'kustomize' | 'helm'): Container => {
    const d = toolDownload(m, tool, platform);
    const archive = `/tmp/${tool}.tar.gz`;
    const mounted = c.withMountedFile(archive, fetch(d));
    if (!d.extract) return mounted.withExec(['cp', archive, `/usr/local/bin/${tool}`]);
    // helm's archive holds <os>-<arch>/helm: the folder is stripped so only the binary lands.
    const strip = d.extract.split('/').length - 1;
    const flags = strip > 0 ? [`--strip-components=${strip}`] : [];
    return mounted.withExec(['tar', '-xzf', archive, '-C', '/usr/local/bin', ...flags, d.extract]);
  };
  const tools = base(m, mirror)
    .withFile('/usr/local/bin/node', dag.container().from(m.images.node).file('/usr/local/bin/node'))
    .withFile('/usr/local/bin/kubectl', fetch(kubectl));
  return unpack(unpack(tools, 'kustomize'), 'helm')
    .withDirectory('/opt/google-cloud-sdk', gcloud(m, platform, mirror))
    .withDirectory('/opt/gitops-flow', await cli(source, m))
    .withExec(['ln', '-s', '/opt/gitops-flow/bin/gitops-flow.js', '/usr/local/bin/gitops-flow'])
    .withEnvVariable('PATH', TOOLBOX_PATH)
    .withEnvVariable('USE_GKE_GCLOUD_AUTH_PLUGIN', 'True')
    .withEnvVariable('CLOUDSDK_CORE_DISABLE_PROMPTS', '1');
}
