/**
 * A render that defines CRDs and uses them: kubectl resolves every kind before it applies anything, so
 * the CRDs are applied (and awaited until Established) first, on their own.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { failed } from '../../core/errors.js';
import type { Logger } from '../../core/io.js';

/** Where the CRDs of a render are written: beside it (renderPath confines this name too). */
export function definitionsFile(manifestPath: string): string {
  return manifestPath.replace(/(\.ya?ml)?$/, '.crds.yaml');
}

export async function applyDefinitionsFirst(
  objects: Record<string, unknown>[],
  o: {
    manifestPath: string;
    dryRun: boolean;
    log: Logger;
    apply: (file: string) => Promise<string[]>;
    verify: (crds: Record<string, unknown>[]) => Promise<string[]>;
  },
): Promise<void> {
  const isCrd = (x: Record<string, unknown>) =>
    x.kind === 'CustomResourceDefinition' && String(x.apiVersion).startsWith('apiextensions.k8s.io/');
  const crds = objects.filter(isCrd);
  if (crds.length === 0 || crds.length === objects.length) return;
  const path = definitionsFile(o.manifestPath);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, crds.map((c) => stringify(c)).join('---\n'));
  o.log.info(`Applying the ${crds.length} CustomResourceDefinition(s) of the render first`);
  await o.apply(path);
  if (o.dryRun) return;
  const problems = await o.verify(crds);
  if (problems.length > 0)
    throw failed(
      'APPLY_FAILED',
      'A CustomResourceDefinition of the render was not established.',
      'Fix the definitions named below.',
      problems,
    );
}
