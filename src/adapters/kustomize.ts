/** kustomize, the pinned binary found on PATH (tests and the toolbox put the pinned one first). */
import type { BuildOptions } from '../core/config.js';
import type { Logger } from '../core/io.js';
import { isCredentialVariable } from '../core/scrub.js';
import { exec } from './exec.js';

export interface ToolContext {
  env: NodeJS.ProcessEnv;
  log: Logger;
  dryRun?: boolean;
}

/** Renders the kustomization in `dir` with the env's build options and returns the manifest. */
export async function build(dir: string, ctx: ToolContext, options: BuildOptions = {}): Promise<string> {
  // kustomize reads an env repo's files (its plugins and generators too): it gets no credentials.
  const env = Object.fromEntries(Object.entries(ctx.env).filter(([k, v]) => !isCredentialVariable(k, v ?? '')));
  const r = await exec(['kustomize', 'build', ...buildFlags(options), dir], { cwd: dir, env, log: ctx.log });
  return r.stdout;
}

/** The `kustomize build` flags of an env's `build:` options. */
export function buildFlags(options: BuildOptions): string[] {
  const flags: string[] = [];
  if (options.enableHelm) flags.push('--enable-helm');
  if (options.loadRestrictor) flags.push('--load-restrictor', options.loadRestrictor);
  return flags;
}
