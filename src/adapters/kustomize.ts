/** kustomize, the pinned binary found on PATH (tests and the toolbox put the pinned one first). */
import type { Logger } from '../core/io.js';
import { exec } from './exec.js';

export interface ToolContext {
  env: NodeJS.ProcessEnv;
  log: Logger;
  dryRun?: boolean;
}

/** Renders the kustomization in `dir` and returns the manifest. */
export async function build(dir: string, ctx: ToolContext): Promise<string> {
  const r = await exec(['kustomize', 'build', dir], { cwd: dir, env: ctx.env, log: ctx.log });
  return r.stdout;
}

/** The version kustomize reports, e.g. v5.8.2. */
export async function version(ctx: ToolContext): Promise<string> {
  const r = await exec(['kustomize', 'version'], { cwd: '/', env: ctx.env, log: ctx.log });
  return r.stdout.trim().replace(/^.*?(v\d+\.\d+\.\d+).*$/s, '$1');
}
