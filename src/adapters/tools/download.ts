/**
 * Fetches an official release binary into a private temp folder, checking its sha256 as it streams in:
 * the caller gets a verified binary or an error, never a file whose checksum was not right.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { failed } from '../../core/errors.js';
import type { Logger } from '../../core/io.js';
import type { ToolDownload } from '../../core/tools-manifest.js';
import { exec } from '../exec.js';

/** No release binary of ours is near this; a bigger answer is not what was asked for. */
const MAX_BYTES = 512 * 1024 * 1024;
const TIMEOUT_MS = 10 * 60_000;

/** The URL to fetch: `<mirror>/<host>/<path>` when GITOPS_FLOW_TOOLS_MIRROR names a mirror, else the URL. */
export function mirrored(url: string, mirror: string | undefined): string {
  if (!mirror) return url;
  const u = new URL(url);
  return `${mirror.replace(/\/+$/, '')}/${u.host}${u.pathname}`;
}

/** A download that did not complete (network, HTTP status, size): the caller may build instead. */
export class DownloadError extends Error {}

/**
 * Downloads `d` for `tool` into `dir` (which must exist and be private): `<dir>/<tool>`, executable,
 * its bytes (or the archive's) matching `d.sha256`. Throws TOOL_CHECKSUM_MISMATCH on a wrong checksum
 * and DownloadError when the download itself failed.
 */
export async function downloadVerified(
  tool: string,
  d: ToolDownload,
  dir: string,
  o: { env: NodeJS.ProcessEnv; log: Logger },
): Promise<{ url: string; bytes: number }> {
  const url = mirrored(d.url, o.env.GITOPS_FLOW_TOOLS_MIRROR);
  const file = join(dir, 'download');
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new DownloadError(`${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  if (!res.ok || !res.body) throw new DownloadError(`${url}: HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length')) || undefined;
  if (total && total > MAX_BYTES) throw new DownloadError(`${url}: ${total} bytes is more than a tool binary`);

  const hash = createHash('sha256');
  let bytes = 0;
  let shown = 0;
  const started = Date.now();
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > MAX_BYTES) return done(new DownloadError(`${url}: more than ${MAX_BYTES} bytes`));
      hash.update(chunk);
      // A line per 10 % (or per 10 MB without a length), so a slow link is visibly moving.
      const step = total ? Math.floor((bytes / total) * 10) : Math.floor(bytes / 10_000_000);
      if (step > shown) {
        shown = step;
        const mb = (bytes / 1e6).toFixed(1);
        o.log.info(
          `  ${tool}: ${mb} MB${total ? ` of ${(total / 1e6).toFixed(1)} MB` : ''} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
        );
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      meter,
      createWriteStream(file),
    );
  } catch (e) {
    if (e instanceof DownloadError) throw e;
    throw new DownloadError(`${url}: ${(e as Error).message}`);
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== d.sha256)
    throw failed(
      'TOOL_CHECKSUM_MISMATCH',
      `${url} has sha256 ${sha256}, not the ${d.sha256} that ci/tools.json pins for ${tool}: refused, nothing was installed.`,
      'Check the network path to the download (a proxy or mirror serving other bytes), or run gitops-flow tools install --from build to build it from the Go module proxy.',
      [`url: ${url}`, `expected sha256: ${d.sha256}`, `actual sha256:   ${sha256}`],
    );

  const out = join(dir, 'bin');
  await mkdir(out);
  if (d.extract) {
    // The archive's checksum is verified: extract only the one member named in the manifest.
    // Unpacked beside the archive (the private folder), so a member in a folder (helm's
    // linux-amd64/helm) leaves nothing else in the tool's folder.
    const unpacked = join(dir, 'unpacked');
    await mkdir(unpacked);
    await exec(['tar', '-xzf', file, '-C', unpacked, d.extract], { cwd: dir, env: o.env, log: o.log });
    if (!(await lstat(join(unpacked, d.extract))).isFile())
      throw new DownloadError(`${url}: ${d.extract} in the archive is not a regular file`);
    await rename(join(unpacked, d.extract), join(out, tool));
  } else {
    await rename(file, join(out, tool));
  }
  await chmod(join(out, tool), 0o755);
  return { url, bytes };
}
