/**
 * Global setup for every tier: builds (when the cache lacks them) and locates the pinned kustomize and
 * kubectl, and hands their directories to the tests. Tests never fall back to tools on the machine's PATH.
 */
import type { TestProject } from 'vitest/node';
import { buildTools, toolDir } from '../../src/cluster/tools.js';

declare module 'vitest' {
  export interface ProvidedContext {
    toolPath: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  // Only what unit and integration tests run (the e2e setup adds the control plane's).
  await buildTools(['kustomize', 'kubectl']);
  const dirs = [await toolDir('kustomize'), await toolDir('kubectl')];
  const toolPath = dirs.join(':');
  project.provide('toolPath', toolPath);
  process.env.GITOPS_FLOW_TOOL_PATH = toolPath;
}
