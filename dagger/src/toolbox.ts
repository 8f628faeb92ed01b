/**
 * The toolbox container, built only from what ci/tools.json pins:
 * - base images by digest (`images.node`, `images.golang`, `images.toolbox`);
 * - kubectl and kustomize built by ci/tools/build.sh from the committed go.mod/go.sum the test harness
 *   builds from, so laptop, CI and tests run the same sources;
 * - gcloud and gke-gcloud-auth-plugin at `gcloud.version` (checksum-verified when the manifest has one);
 * - the gitops-flow CLI built from this repository with `npm ci` (package-lock.json integrity hashes).
 * The manifest is read from the module's own source at run time, so there is one copy of every pin.
 */
import { type Container, type Directory, dag } from '@dagger.io/dagger';
import type { Shared } from './session.js';

/** What the toolbox reads from ci/tools.json. */
export interface ToolsManifest {
  kubectl: string;
  kustomize: string;
  gcloud: { version: string; url: string; components: string[]; sha256: Record<string, string | null> };
  images: { node: string; golang: string; toolbox: string };
  /** The toolbox image the project's release job published for this version, by digest (null before the first). */
  published: { toolbox: string | null };
}

/** A reference pinned by digest: `name[:tag]@sha256:<64 hex>`. */
export const PINNED_IMAGE = /^[a-z0-9][a-z0-9._/-]*(:[\w.-]+)?@sha256:[0-9a-f]{64}$/;

const TOOLBOX_PATH = '/opt/google-cloud-sdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Parses ci/tools.json, with `mirrors` (`name=reference`: node, golang, toolbox, published) in place of
 * its images, and refuses any image that is not pinned by digest: a mirror too must name the bytes.
 */
export function parseManifest(text: string, mirrors: string[] = []): ToolsManifest {
  const m = JSON.parse(text) as ToolsManifest;
  const images: Record<string, string | null> = { ...m.images, published: m.published?.toolbox ?? null };
  for (const entry of mirrors) {
    const [name = '', ref = ''] = entry.split(/=(.*)/s);
    if (!(name in images))
      throw new Error(`--mirrors ${entry}: no image ${name} (known: ${Object.keys(images).join(', ')})`);
    images[name] = ref;
  }
  for (const [key, ref] of Object.entries(images)) {
    if (ref !== null && !PINNED_IMAGE.test(ref))
      throw new Error(`the ${key} image is "${ref}": pin it by digest (name:tag@sha256:…)`);
  }
  const { published, ...pinned } = images;
  return { ...m, images: pinned as ToolsManifest['images'], published: { toolbox: published ?? null } };
}

/** gcloud's archive name for an engine platform (`linux/amd64` → `linux-x86_64`). */
export function gcloudPlatform(platform: string): string {
  const names: Record<string, string> = { 'linux/amd64': 'linux-x86_64', 'linux/arm64': 'linux-arm' };
  const name = names[platform.split('/').slice(0, 2).join('/')];
  if (!name) throw new Error(`no gcloud archive for platform ${platform} (known: ${Object.keys(names).join(', ')})`);
  return name;
}

/** The download URL of the pinned gcloud archive and its checksum option (when the manifest has one). */
export function gcloudArchive(m: ToolsManifest, platform: string): { url: string; checksum?: string } {
  const name = gcloudPlatform(platform);
  const url = m.gcloud.url.replace('{version}', m.gcloud.version).replace('{platform}', name);
  const sha = m.gcloud.sha256[name];
  return sha ? { url, checksum: `sha256:${sha}` } : { url };
}

/** kubectl and kustomize, built by ci/tools/build.sh (it reads the manifest with node, copied in by digest). */
function goTools(source: Directory, m: ToolsManifest): Container {
  return dag
    .container()
    .from(m.images.golang)
    .withFile('/usr/local/bin/node', dag.container().from(m.images.node).file('/usr/local/bin/node'))
    .withMountedCache('/go/pkg/mod', dag.cacheVolume('gitops-flow-go-mod'))
    .withMountedCache('/root/.cache/go-build', dag.cacheVolume('gitops-flow-go-build'))
    .withDirectory('/src/ci', source.directory('ci'))
    .withWorkdir('/src')
    .withEnvVariable('GITOPS_FLOW_CACHE', '/out')
    .withExec(['bash', 'ci/tools/build.sh', 'kustomize', 'kubectl']);
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

/** Debian's git, CA certificates and the Python gcloud runs on (see docs/ci-and-dagger.md for what apt does not pin). */
function base(m: ToolsManifest): Container {
  return dag
    .container()
    .from(m.images.toolbox)
    .withExec(['apt-get', 'update', '-qq'])
    .withExec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'git', 'ca-certificates', 'python3'])
    .withExec(['rm', '-rf', '/var/lib/apt/lists']);
}

/** gcloud at the pinned version, with its pinned components (gke-gcloud-auth-plugin) from the same release. */
function gcloud(m: ToolsManifest, platform: string): Container {
  const archive = gcloudArchive(m, platform);
  const file = dag.http(archive.url, archive.checksum ? { checksum: archive.checksum } : {});
  return base(m)
    .withFile('/tmp/gcloud.tar.gz', file)
    .withExec(['tar', '-xzf', '/tmp/gcloud.tar.gz', '-C', '/opt'])
    .withExec(['/opt/google-cloud-sdk/bin/gcloud', 'components', 'install', ...m.gcloud.components, '--quiet'])
    .withExec(['rm', '-rf', '/opt/google-cloud-sdk/.install/.backup']);
}

/**
 * The toolbox a call runs in: the one given (--toolbox), else built from source when asked
 * (--build-toolbox), else the one published for this version (ci/tools.json `published.toolbox`, by digest).
 */
export async function resolveToolbox(s: Shared): Promise<Container> {
  if (s.toolboxImage) return s.toolboxImage;
  const m = parseManifest(await s.source.file('ci/tools.json').contents(), s.mirrors);
  if (s.buildToolbox) return buildToolbox(s.source, m);
  if (m.published.toolbox) return dag.container().from(m.published.toolbox);
  throw new Error(
    'No toolbox is published for this version yet (ci/tools.json published.toolbox is null): pass --toolbox <image address>, or --build-toolbox to build it from source.',
  );
}

/** Builds the toolbox from the module's own source tree (`source` is the gitops-flow repository root). */
async function buildToolbox(source: Directory, m: ToolsManifest): Promise<Container> {
  const platform = String(await dag.defaultPlatform());
  const tools = goTools(source, m);
  return base(m)
    .withFile('/usr/local/bin/node', dag.container().from(m.images.node).file('/usr/local/bin/node'))
    .withFile('/usr/local/bin/kustomize', tools.file(`/out/bin/kustomize-${m.kustomize}/kustomize`))
    .withFile('/usr/local/bin/kubectl', tools.file(`/out/bin/kubectl-${m.kubectl}/kubectl`))
    .withDirectory('/opt/google-cloud-sdk', gcloud(m, platform).directory('/opt/google-cloud-sdk'))
    .withDirectory('/opt/gitops-flow', await cli(source, m))
    .withExec(['ln', '-s', '/opt/gitops-flow/bin/gitops-flow.js', '/usr/local/bin/gitops-flow'])
    .withEnvVariable('PATH', TOOLBOX_PATH)
    .withEnvVariable('USE_GKE_GCLOUD_AUTH_PLUGIN', 'True')
    .withEnvVariable('CLOUDSDK_CORE_DISABLE_PROMPTS', '1');
}
