/**
 * The pinned tools manifest, ci/tools.json, read from the installed package (package.json "files" ships
 * it), found from wherever this code runs (sources, tsc output or the bundle).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageFile } from '../../core/package-root.js';
import { parseToolsManifest, type ToolsManifest } from '../../core/tools-manifest.js';

export type { ToolsManifest } from '../../core/tools-manifest.js';

export const MANIFEST_URL = pathToFileURL(packageFile('ci/tools.json'));

/** Reads and checks the manifest; throws a plain Error naming the file (doctor shows it as a row). */
export async function readManifest(url: URL = MANIFEST_URL): Promise<ToolsManifest> {
  const file = fileURLToPath(url);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseToolsManifest(text, file);
}
