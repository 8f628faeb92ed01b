/**
 * What the toolbox reads from ci/tools.json — the one pinned tools manifest, read from the module's own
 * source at run time, so there is one copy of every pin — and how mirrors take the place of its images
 * and downloads (air-gapped networks, tests against a local registry). Pure: no Dagger calls here.
 */

/** The tools the toolbox downloads (official release binaries or archives). */
export type DownloadedTool = 'kubectl' | 'kustomize' | 'helm';

/** An official release binary (or archive holding it) and the sha256 it must have. */
export interface ToolDownload {
  url: string;
  sha256: string;
  /** The file to take out of the archive; absent when the download is the binary itself. */
  extract?: string;
}

export interface ToolsManifest {
  kubectl: string;
  kustomize: string;
  helm: string;
  /** Per tool, per platform as Go names it (`linux-amd64`). */
  downloads: Record<DownloadedTool, Record<string, ToolDownload>>;
  gcloud: { version: string; url: string; components: string[]; sha256: Record<string, string | null> };
  /** Debian packages from snapshot.debian.org at one date, for the base image's suite. */
  apt: { snapshot: string; suite: string; packages: string[] };
  images: { node: string; toolbox: string };
  /** The toolbox image the project's release job published for this version, by digest (null before the first). */
  published: { toolbox: string | null };
}

/** A reference pinned by digest: `name[:tag]@sha256:<64 hex>`. */
export const PINNED_IMAGE = /^[a-z0-9][a-z0-9._/-]*(:[\w.-]+)?@sha256:[0-9a-f]{64}$/;

/**
 * Parses ci/tools.json, with `mirrors` (`name=reference`: node, toolbox, published) in place of its
 * images, and refuses any image that is not pinned by digest: a mirror too must name the bytes.
 */
export function parseManifest(text: string, mirrors: string[] = []): ToolsManifest {
  const m = JSON.parse(text) as ToolsManifest;
  const images: Record<string, string | null> = {
    node: m.images.node,
    toolbox: m.images.toolbox,
    published: m.published?.toolbox ?? null,
  };
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
  return {
    ...m,
    images: { node: images.node as string, toolbox: images.toolbox as string },
    published: { toolbox: images.published ?? null },
  };
}

/**
 * The URL to fetch: `<mirror>/<host>/<path>` with a download mirror, else the URL — the same layout as
 * the CLI's GITOPS_FLOW_TOOLS_MIRROR, so one mirror serves both.
 */
export function mirrored(url: string, mirror: string | undefined): string {
  if (!mirror) return url;
  const u = new URL(url);
  return `${mirror.replace(/\/+$/, '')}/${u.host}${u.pathname}`;
}

/** An engine platform (`linux/amd64`, `linux/arm64/v8`) as Go names it (`linux-amd64`). */
export function goPlatform(platform: string): string {
  const [os, arch] = platform.split('/');
  return `${os}-${arch}`;
}

/** The pinned download of `tool` for a platform, or why there is none. */
export function toolDownload(m: ToolsManifest, tool: DownloadedTool, platform: string): ToolDownload {
  const name = goPlatform(platform);
  const d = m.downloads?.[tool]?.[name];
  if (!d?.sha256) throw new Error(`ci/tools.json has no download of ${tool} for ${name} with a sha256`);
  return d;
}

/** gcloud's archive name for an engine platform (`linux/amd64` → `linux-x86_64`). */
export function gcloudPlatform(platform: string): string {
  const names: Record<string, string> = { 'linux/amd64': 'linux-x86_64', 'linux/arm64': 'linux-arm' };
  const name = names[platform.split('/').slice(0, 2).join('/')];
  if (!name) throw new Error(`no gcloud archive for platform ${platform} (known: ${Object.keys(names).join(', ')})`);
  return name;
}

/** The pinned gcloud archive for a platform and its checksum; refused when the manifest has none. */
export function gcloudArchive(m: ToolsManifest, platform: string): { url: string; checksum: string } {
  const name = gcloudPlatform(platform);
  const url = m.gcloud.url.replace('{version}', m.gcloud.version).replace('{platform}', name);
  const sha = m.gcloud.sha256[name];
  if (!sha)
    throw new Error(`ci/tools.json has no sha256 of gcloud ${m.gcloud.version} for ${name}: add one to gcloud.sha256`);
  return { url, checksum: `sha256:${sha}` };
}

/** The component snapshot of exactly the pinned gcloud release (what fixed_sdk_version selects). */
export function gcloudSnapshot(m: ToolsManifest): string {
  return `https://dl.google.com/dl/cloudsdk/channels/rapid/components-v${m.gcloud.version}.json`;
}

/**
 * apt's sources at the manifest's snapshot date (deb822), for the base image's suite and its security
 * updates: every package at the version it had that day, signed by Debian's archive keys.
 */
export function aptSources(m: ToolsManifest, mirror?: string): string {
  const at = (archive: string) => mirrored(`http://snapshot.debian.org/archive/${archive}/${m.apt.snapshot}`, mirror);
  const source = (uri: string, suites: string) =>
    `Types: deb\nURIs: ${uri}\nSuites: ${suites}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`;
  return `${source(at('debian'), `${m.apt.suite} ${m.apt.suite}-updates`)}\n${source(at('debian-security'), `${m.apt.suite}-security`)}`;
}
