/**
 * The pinned tools manifest, ci/tools.json, as data: its schema, the tools gitops-flow itself runs, and
 * where each one's official binary is for a platform. Pure: reading the file is the caller's business.
 */
import { z } from 'zod';

/** The tools gitops-flow runs (and `tools install` installs); the control plane's own are build-only. */
export const RUN_TOOLS = ['kubectl', 'kustomize'] as const;
export type RunTool = (typeof RUN_TOOLS)[number];

/**
 * What `tools list` shows and `tools install` can install: the tools gitops-flow runs, and helm, which
 * kustomize runs for envs with build.enableHelm (installed only when named, as ci/tools/build.sh builds it).
 */
export const INSTALL_TOOLS = [...RUN_TOOLS, 'helm'] as const;
export type InstallTool = (typeof INSTALL_TOOLS)[number];

const version = z.string().regex(/^v\d+\.\d+\.\d+/, 'a version such as v1.2.3');

const download = z.object({
  url: z.string().url(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
  /**
   * The file to take out of a .tar.gz archive (`kustomize`, or `linux-amd64/helm` in a folder); absent:
   * the URL is the binary itself. A relative path inside the archive, never `.` or `..`.
   */
  extract: z
    .string()
    .regex(/^[\w.-]+(\/[\w.-]+)*$/, 'a path inside the archive such as tool or dir/tool')
    .refine((p) => p.split('/').every((seg) => seg !== '.' && seg !== '..'), 'no . or .. in the path')
    .optional(),
});
export type ToolDownload = z.infer<typeof download>;

/** Per tool: where the hashes came from, and one entry per `<os>-<arch>`. */
const downloads = z.record(z.string(), z.union([z.string(), z.record(z.string(), z.union([z.string(), download]))]));

const schema = z.object({
  go: z.string().optional(),
  kubectl: version,
  kustomize: version,
  kubernetes: version.optional(),
  kwok: version.optional(),
  etcd: version.optional(),
  /** kustomize runs it for helmCharts: (build.enableHelm); built from the Go module proxy when needed. */
  helm: version.optional(),
  gcloud: z.object({ version: z.string().regex(/^\d+\.\d+\.\d+/) }),
  downloads: downloads.optional(),
});
export type ToolsManifest = z.infer<typeof schema>;

/** Parses ci/tools.json's text; throws a plain Error naming the file and every problem. */
export function parseToolsManifest(text: string, file: string): ToolsManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = schema.safeParse(data);
  if (!r.success)
    throw new Error(
      `${file} is not a tools manifest: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return r.data;
}

/** Go's name of a platform, e.g. `linux-amd64`, from Node's `process.platform` and `process.arch`. */
export function platformKey(platform: string, arch: string): string {
  const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le' };
  const goOs: Record<string, string> = { win32: 'windows' };
  return `${goOs[platform] ?? platform}-${goArch[arch] ?? arch}`;
}

/** The version ci/tools.json pins for `tool` (helm may be absent from a manifest). */
export function pinnedVersion(m: ToolsManifest, tool: InstallTool): string | undefined {
  return m[tool];
}

/** The official binary of `tool` for `platform`, or undefined (then it is built from the Go module proxy). */
export function toolDownload(m: ToolsManifest, tool: InstallTool, platform: string): ToolDownload | undefined {
  const entry = m.downloads?.[tool];
  if (!entry || typeof entry === 'string') return undefined;
  const d = entry[platform];
  return d && typeof d !== 'string' ? d : undefined;
}

/** The cache folder of a pinned tool: `<tool>-<version>` (ci/tools/build.sh uses the same name). */
export function toolDirName(tool: string, pinned: string): string {
  return `${tool}-${pinned}`;
}

/** Do two versions name the same release (`v1.2.3` = `1.2.3`)? */
export function sameVersion(a: string, b: string): boolean {
  return a.replace(/^v/, '') === b.replace(/^v/, '');
}
