/**
 * The gitops-flow command line each Dagger function runs, built from the CLI's own description of its
 * options, so the contract tests run exactly these argv through the real CLI
 * (test/integration/dagger-argv.test.ts). No Dagger import here: nothing in this file needs an engine.
 */

import { type DaggerVerb, daggerName, longFlag, type OptionSpec, VERBS } from '../../src/cli/verbs.js';

/** Where the functions put the env repo inside the toolbox container. */
export const REPO_DIR = '/repo';

/** Values of a verb's arguments and options, by their Dagger names (`noDeploy`, `images`, `pipeline`). */
export type Values = Record<string, string | number | boolean | string[] | undefined | null>;

/** What goes before the verb (as in git). */
export interface Globals {
  /** The env repo working copy (`-C`); none for a verb that clones it itself. */
  repoDir?: string;
  /** Change nothing: no commit, no push; applies are server dry-runs. */
  dryRun?: boolean;
  verbose?: boolean;
}

/** The flags one option adds for its value: none when left out (no empty values reach the CLI). */
function optionArgv(o: OptionSpec, value: Values[string]): string[] {
  if (value === undefined || value === null || value === '' || value === false) return [];
  const flag = longFlag(o);
  if (o.kind === 'boolean') return [flag];
  if (Array.isArray(value)) return value.flatMap((v) => [flag, v]);
  return [flag, String(value)];
}

/**
 * The gitops-flow command line of one verb, from the one description of the command line
 * (src/cli/verbs.ts): the globals, the verb, its positional arguments, then each option given.
 */
export function verbArgv(verb: DaggerVerb, values: Values, g: Globals = {}): string[] {
  const spec = VERBS[verb];
  const dagger = spec.dagger as { json?: boolean; dryRun?: boolean };
  const args = ('arguments' in spec ? spec.arguments : []).map((a) => values[a.name]);
  if (args.some((a) => typeof a !== 'string' || a === '')) throw new Error(`${verb}: missing argument`);
  return [
    ...(g.repoDir ? ['-C', g.repoDir] : []),
    ...(dagger.json ? ['--json'] : []),
    ...(g.verbose ? ['--verbose'] : []),
    ...(g.dryRun && dagger.dryRun ? ['--dry-run'] : []),
    ...verb.split(' '),
    ...(args as string[]),
    ...(spec.options as readonly OptionSpec[]).flatMap((o) =>
      o.dagger === false ? [] : optionArgv(o, values[daggerName(o)]),
    ),
  ];
}

/**
 * The shell script that clones the env repo when a function gets a URL instead of a Directory:
 * `sh -c CLONE_SCRIPT clone <url> <branch> <dir>`. The token (GITOPS_FLOW_GIT_TOKEN, a secret variable)
 * reaches git the way the CLI passes it: an HTTP header in git's environment (never argv or config),
 * scoped to that URL, with redirects refused, so it goes nowhere else.
 */
export const CLONE_SCRIPT = [
  'set -eu',
  'export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.followRedirects GIT_CONFIG_VALUE_0=false',
  'if [ -n "${GITOPS_FLOW_GIT_TOKEN:-}" ]; then',
  '  GIT_CONFIG_VALUE_1="Authorization: Basic $(printf \'oauth2:%s\' "$GITOPS_FLOW_GIT_TOKEN" | base64 | tr -d \'\\n\')"',
  '  export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_1="http.$1.extraHeader" GIT_CONFIG_VALUE_1',
  'fi',
  'git clone --quiet --no-tags --branch "$2" -- "$1" "$3"',
].join('\n');

/** The argv that clones `url` at `branch` into `dir` (see CLONE_SCRIPT). */
export function cloneArgv(url: string, branch: string, dir: string = REPO_DIR): string[] {
  return ['sh', '-c', CLONE_SCRIPT, 'clone', url, branch, dir];
}
