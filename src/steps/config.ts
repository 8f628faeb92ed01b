/**
 * gitops-flow.yaml read and validated against the built-in steps of ./registry.ts — for the verbs and
 * the tests. (A step reads it through src/adapters/repo.ts with `catalogueOf(rc.steps)`: a step never
 * imports the registry that lists it.)
 */
import * as repo from '../adapters/repo.js';
import { parseConfig as parseWith, type ResolvedConfig } from '../core/config.js';
import type { Config } from '../core/config-schema.js';
import { CATALOGUE } from './registry.js';

/** Parses and validates gitops-flow.yaml text; throws one exit-2 error listing every problem. */
export function parseConfig(text: string): Config {
  return parseWith(text, CATALOGUE);
}

/** gitops-flow.yaml (optional) and the overlay folders of a working tree, resolved. */
export function loadConfig(root: string): Promise<ResolvedConfig> {
  return repo.loadConfig(root, CATALOGUE);
}

/** gitops-flow.yaml as written (undefined when there is none). */
export function readConfigFile(root: string): Promise<Config | undefined> {
  return repo.readConfigFile(root, CATALOGUE);
}
