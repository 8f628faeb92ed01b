/**
 * `tools list` and `tools install [kubectl] [kustomize] [helm] [--from auto|download|build]`: which
 * kubectl and kustomize gitops-flow runs (and from where), and helm, which kustomize runs for envs with
 * build.enableHelm; and installing the pinned ones into the tools cache, so a package installed from npm
 * finds them with nothing added to PATH. helm is optional: listed, installed only when named.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { probeVersion } from '../../adapters/tools/check.js';
import { type InstallFrom, type InstallResult, installTool } from '../../adapters/tools/install.js';
import { cachedToolDir, locateTool, packageManifest, type ToolSource } from '../../adapters/tools/locate.js';
import type { CommandContext } from '../../core/io.js';
import {
  INSTALL_TOOLS,
  type InstallTool,
  pinnedVersion,
  platformKey,
  RUN_TOOLS,
  sameVersion,
  type ToolsManifest,
  toolDownload,
} from '../../core/tools-manifest.js';

export interface ToolRow {
  tool: InstallTool;
  pinned: string;
  /** The binary gitops-flow runs, or null when there is none. */
  path: string | null;
  source: ToolSource | null;
  /** Its version (a cached one's is the pinned one, by its folder); null when it could not be read. */
  version: string | null;
  /** The pinned version is in the tools cache. */
  cached: boolean;
  /** The official binary for this platform, or null: `tools install` builds it from the Go module proxy. */
  download: { url: string; sha256: string } | null;
  /** Needed only by some env repos (helm: envs with build.enableHelm); a missing one is not a problem. */
  optional: boolean;
}

const isRequired = (tool: InstallTool) => (RUN_TOOLS as readonly string[]).includes(tool);

export interface ToolsOptions {
  /** Tests inject a manifest; the CLI reads the package's ci/tools.json. */
  manifest?: ToolsManifest;
  /** Default: this machine's `<os>-<arch>`. */
  platform?: string;
}

const here = () => platformKey(process.platform, process.arch);

/** One row per tool gitops-flow runs (then helm, when pinned), printed as a table on stderr. */
export async function toolsList(o: ToolsOptions, ctx: CommandContext): Promise<ToolRow[]> {
  const m = o.manifest ?? packageManifest();
  const platform = o.platform ?? here();
  const env = ctx.io.env;
  const rows = await Promise.all(
    INSTALL_TOOLS.filter((tool) => pinnedVersion(m, tool)).map(async (tool): Promise<ToolRow> => {
      const t = locateTool(tool, env, m);
      const cached = t.source === 'tools cache';
      const version = !t.path ? null : cached ? t.pinned : ((await probeVersion(tool, t.path, env)).version ?? null);
      const d = toolDownload(m, tool, platform);
      const dir = cachedToolDir(tool, t.pinned, env);
      return {
        tool,
        pinned: t.pinned,
        path: t.path ?? null,
        source: t.source ?? null,
        version,
        cached: dir !== undefined && existsSync(join(dir, tool)),
        download: d ? { url: d.url, sha256: d.sha256 } : null,
        optional: !isRequired(tool),
      };
    }),
  );
  const c = ctx.log.color;
  const lines = rows.map((r) => {
    const ok = r.version !== null && sameVersion(r.version, r.pinned);
    const mark = !r.path ? (r.optional ? c.dim('-') : c.red('✗')) : ok ? c.green('✓') : c.yellow('!');
    const missing = r.optional ? `not found (needed only for build.enableHelm: tools install ${r.tool})` : 'not found';
    const used = r.path ? `${r.version ?? 'version unknown'} at ${r.path} (${r.source})` : missing;
    const how = r.download ? `download for ${platform}, sha256 ${r.download.sha256.slice(0, 12)}…` : 'built from Go';
    return `${mark} ${r.tool.padEnd(9)} pinned ${r.pinned.padEnd(8)} ${used}; install: ${how}`;
  });
  if (rows.some((r) => !r.optional && (!r.path || r.version === null || !sameVersion(r.version, r.pinned))))
    lines.push('', 'Run `gitops-flow tools install` to put the pinned versions in the tools cache.');
  ctx.log.info(lines.join('\n'));
  return rows;
}

export interface ToolsInstallOptions extends ToolsOptions {
  /** Default: every tool gitops-flow runs (helm only when named, as ci/tools/build.sh builds it). */
  tools?: InstallTool[];
  from?: InstallFrom;
}

/** Installs each tool in turn (see adapters/tools/install.ts); stops at the first failure. */
export async function toolsInstall(o: ToolsInstallOptions, ctx: CommandContext): Promise<InstallResult[]> {
  const manifest = o.manifest ?? packageManifest();
  const platform = o.platform ?? here();
  const results: InstallResult[] = [];
  for (const tool of o.tools?.length ? o.tools : RUN_TOOLS) {
    const r = await installTool({
      tool,
      from: o.from ?? 'auto',
      manifest,
      platform,
      env: ctx.io.env,
      log: ctx.log,
    });
    ctx.log.info(
      r.how === 'already installed'
        ? `✓ ${tool} ${r.version} already installed: ${r.path}`
        : `✓ ${tool} ${r.version} ${r.how} in ${r.seconds} s: ${r.path}`,
    );
    results.push(r);
  }
  return results;
}
