/**
 * The shape of the one description of the command line (./verbs.ts): an option, a positional argument,
 * how the Dagger module exposes a verb, and the two names an option goes by (its long flag, its Dagger
 * argument). No imports: the Dagger module loads this file as it is (dagger.json's include).
 */

/** One option: how commander declares it and how a Dagger function exposes it. */
export interface OptionSpec {
  /** As commander takes it: `--env <env>`, `--no-deploy`, `-C, --repo-dir <dir>`. */
  flags: string;
  description: string;
  /** `string` (default), `boolean` (a switch, `--no-x` included), `list` (repeatable), `int` (positive). */
  kind?: 'string' | 'boolean' | 'list' | 'int';
  required?: boolean;
  choices?: readonly string[];
  /** Default value shown and used by commander. */
  default?: string;
  /**
   * The Dagger argument: its name (default: the long flag in camelCase, `--no-deploy` → noDeploy) and
   * description (default: the CLI's); `false` when the module leaves the option out (it decides it itself).
   */
  dagger?: false | { name?: string; description?: string };
}

/** A positional argument (commander `<name>`). */
export interface ArgumentSpec {
  name: string;
  description: string;
  choices?: readonly string[];
}

/** How the Dagger module runs a verb. */
export interface DaggerSpec {
  /** The function's doc comment (`dagger call <verb> --help`). */
  description: string;
  /** `repo`: the env repo after the run (export it); `stdout`: what the CLI printed (JSON with `json`). */
  returns: 'repo' | 'stdout';
  /** It changes something outside its inputs, or reads what changes under it: never served from cache. */
  sideEffects: boolean;
  /** Pass `--json` (the function returns the CLI's machine output). */
  json?: boolean;
  /** The CLI clones the env repo itself (suggest): no working copy. */
  clones?: boolean;
  /** Takes global `--dry-run`. */
  dryRun?: boolean;
  /** An exit code the function reports rather than fails on (doctor: a failed check is in the report). */
  anyExitCode?: boolean;
  /** Its pipeline runs run: steps (a pipeline, or the verb's hooks), which may name an image: the CLI gets the engine session. */
  nests?: boolean;
}

export interface VerbSpec {
  description: string;
  arguments?: readonly ArgumentSpec[];
  options: readonly OptionSpec[];
  /** Exposed as a Dagger function, and how. */
  dagger?: DaggerSpec;
}

/** The long flag of an option (`--no-deploy` of `--no-deploy`, `--repo-dir` of `-C, --repo-dir <dir>`). */
export function longFlag(o: OptionSpec): string {
  const long = /(--[a-z][a-z0-9-]*)/.exec(o.flags)?.[1];
  if (!long) throw new Error(`option ${o.flags} has no long flag`);
  return long;
}

/** The Dagger argument name of an option: its own, or the long flag in camelCase. */
export function daggerName(o: OptionSpec): string {
  const own = o.dagger || undefined;
  if (own?.name) return own.name;
  return longFlag(o)
    .slice(2)
    .replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
