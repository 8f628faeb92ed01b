/**
 * First global setup of the dagger tier: the engine, checked before any cluster starts (no engine: the
 * run fails saying why, see engine.ts). Hands the tests the dagger CLI's path.
 */
import type { TestProject } from 'vitest/node';
import { requireEngine } from './engine.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The dagger CLI that reaches the engine. */
    dagger: string;
  }
}

export default function setup(project: TestProject): void {
  const { dagger, version } = requireEngine();
  process.stderr.write(`dagger: engine ${version} through ${dagger}\n`);
  project.provide('dagger', dagger);
}
