/**
 * Installs a pinned tool into the tools cache (`<cache>/bin/<tool>-<version>/`): the official release
 * binary, downloaded and checked against ci/tools.json's sha256, where the manifest has one for this
 * platform; else (or when the download fails, unless only downloads were asked for) built from the Go
 * module proxy by the package's ci/tools/build.sh. A wrong checksum is refused and never falls back.
 * Whatever is installed appears at once and whole (a temp folder renamed into place).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { failed } from '../../core/errors.js';
import type { Logger } from '../../core/io.js';
import { packageFile } from '../../core/package-root.js';
import { type InstallTool, pinnedVersion, type ToolsManifest, toolDownload } from '../../core/tools-manifest.js';
import { exec } from '../exec.js';
import { DownloadError, downloadVerified } from './download.js';
import { cachedToolDir, findOnPath, toolsCacheDir } from './locate.js';

export type InstallFrom = 'auto' | 'download' | 'build';

export interface InstallOptions {
  tool: InstallTool;
  from: InstallFrom;
  manifest: ToolsManifest;
  /** `<os>-<arch>`, e.g. linux-amd64. */
  platform: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

export interface InstallResult {
  tool: InstallTool;
  version: string;
  path: string;
  how: 'already installed' | 'downloaded' | 'built';
  /** Downloaded: where from, and the checksum it was verified against. */
  url?: string;
  sha256?: string;
  seconds: number;
}

/** Installs one tool (see the file comment); resolves with what it did. */
export async function installTool(o: InstallOptions): Promise<InstallResult> {
  const version = pinnedVersion(o.manifest, o.tool);
  if (!version)
    throw failed(
      'TOOL_INSTALL_FAILED',
      `ci/tools.json pins no version of ${o.tool}.`,
      `Add "${o.tool}": "vX.Y.Z" to ci/tools.json (and its downloads), or install ${o.tool} yourself on PATH.`,
    );
  const dir = cachedToolDir(o.tool, version, o.env);
  if (!dir)
    throw failed(
      'TOOL_INSTALL_FAILED',
      `There is no tools cache to install ${o.tool} into: neither GITOPS_FLOW_CACHE nor HOME is set.`,
      'Set HOME, or GITOPS_FLOW_CACHE to the folder that should hold the tools.',
    );
  const path = join(dir, o.tool);
  const started = Date.now();
  const result = (how: InstallResult['how'], extra: Partial<InstallResult> = {}): InstallResult => ({
    tool: o.tool,
    version,
    path,
    how,
    ...extra,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  });
  if (existsSync(path)) return result('already installed');

  const d = o.from === 'build' ? undefined : toolDownload(o.manifest, o.tool, o.platform);
  if (o.from === 'download' && !d)
    throw failed(
      'TOOL_INSTALL_FAILED',
      `ci/tools.json has no download of ${o.tool} ${version} for ${o.platform}.`,
      `Run gitops-flow tools install ${o.tool} --from build (from the Go module proxy; needs Go).`,
    );
  if (d) {
    o.log.info(`${o.tool} ${version}: downloading the official binary (sha256 ${d.sha256.slice(0, 12)}…)`);
    try {
      const got = await downloadInto(dir, (tmp) => downloadVerified(o.tool, d, tmp, o));
      o.log.info(`${o.tool} ${version}: verified and installed in ${dir}`);
      return result('downloaded', { url: got.url, sha256: d.sha256 });
    } catch (e) {
      if (!(e instanceof DownloadError)) throw e;
      if (o.from === 'download')
        throw failed(
          'TOOL_INSTALL_FAILED',
          `Could not download ${o.tool} ${version}: ${e.message}.`,
          `Check the network (or set GITOPS_FLOW_TOOLS_MIRROR to a mirror), or run gitops-flow tools install ${o.tool} --from build.`,
        );
      o.log.warn(`${o.tool}: download failed (${e.message}); building it from the Go module proxy instead.`);
    }
  }
  await build(o, version);
  return result('built');
}

/** Runs `fill(tmp)` in a private temp folder, then renames `<tmp>/bin` to `dir` (another's install wins). */
async function downloadInto<T>(dir: string, fill: (tmp: string) => Promise<T>): Promise<T> {
  await mkdir(dirname(dir), { recursive: true });
  const tmp = await mkdtemp(join(dirname(dir), '.dl-'));
  try {
    const got = await fill(tmp);
    await writeFile(
      join(tmp, 'bin', '.gitops-flow-tool.json'),
      `${JSON.stringify({ installedBy: 'gitops-flow tools install', ...got, at: new Date().toISOString() }, null, 2)}\n`,
    );
    try {
      await rename(join(tmp, 'bin'), dir);
    } catch (e) {
      // Installed meanwhile by another process (build.sh or a second install): keep theirs.
      if (!['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
    return got;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** `bash ci/tools/build.sh <tool>` from the package, into the same cache; its progress lines shown. */
async function build(o: InstallOptions, version: string): Promise<void> {
  for (const cmd of ['go', 'bash'])
    if (!findOnPath(cmd, o.env))
      throw failed(
        'TOOL_INSTALL_FAILED',
        `Cannot build ${o.tool} ${version}: ${cmd} is not on PATH.`,
        cmd === 'go'
          ? `Install Go (ci/tools.json wants go ${o.manifest.go ?? '(any)'}), or make the official download reachable (GITOPS_FLOW_TOOLS_MIRROR).`
          : 'Install bash.',
      );
  const script = packageFile('ci/tools/build.sh');
  o.log.info(`${o.tool} ${version}: building from the Go module proxy (${script})`);
  try {
    await exec(['bash', script, o.tool], {
      cwd: dirname(script),
      env: { ...o.env, GITOPS_FLOW_CACHE: toolsCacheDir(o.env) as string },
      log: o.log,
      // build.sh's own lines are progress; go's (module downloads) only with --verbose.
      onStderrLine: (line) => (line.startsWith('build.sh:') ? o.log.info(`  ${line}`) : o.log.debug(`  ${line}`)),
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw failed(
      'TOOL_INSTALL_FAILED',
      `Building ${o.tool} ${version} failed: ${why}`,
      'Run again with --verbose to see the go build output; the Go module proxy must be reachable.',
    );
  }
}
