/**
 * The pinned tools manifest, ci/tools.json, read from the installed package (package.json "files" ships
 * it), found from wherever this code runs (sources, tsc output or the bundle).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { packageFile } from '../../core/package-root.js';

export const MANIFEST_URL = pathToFileURL(packageFile('ci/tools.json'));

const manifestSchema = z.object({
  kubectl: z.string().regex(/^v\d+\.\d+\.\d+/),
  kustomize: z.string().regex(/^v\d+\.\d+\.\d+/),
  gcloud: z.object({ version: z.string().regex(/^\d+\.\d+\.\d+/) }),
});

export type ToolsManifest = z.infer<typeof manifestSchema>;

/** Reads and checks the manifest; throws a plain Error naming the file (doctor shows it as a row). */
export async function readManifest(url: URL = MANIFEST_URL): Promise<ToolsManifest> {
  const file = fileURLToPath(url);
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = manifestSchema.safeParse(data);
  if (!r.success)
    throw new Error(
      `${file} is not a tools manifest: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return r.data;
}
