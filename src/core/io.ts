/**
 * What every command receives instead of reaching for globals: its working directory, environment,
 * streams and a logger. Tests inject all of it.
 */
import type { Writable } from 'node:stream';
import { Scrubber } from './scrub.js';

export interface Io {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: Writable;
  stderr: Writable;
}

export interface Logger {
  /** A human progress line (stderr). */
  info(line: string): void;
  /** Only with --verbose (stderr). */
  debug(line: string): void;
  warn(line: string): void;
  /** Machine output (stdout). */
  result(text: string): void;
  readonly scrubber: Scrubber;
}

export interface RunOptions {
  dryRun: boolean;
  verbose: boolean;
  json: boolean;
}

/** The one logger: human lines to stderr, machine output to stdout, secrets scrubbed from both. */
export function createLogger(io: Io, opts: { verbose: boolean; quiet?: boolean }): Logger {
  const scrubber = new Scrubber(io.env);
  const err = (line: string) => io.stderr.write(`${scrubber.scrub(line)}\n`);
  return {
    info: (line) => !opts.quiet && err(line),
    debug: (line) => opts.verbose && err(line),
    warn: (line) => err(`warning: ${line}`),
    result: (text) => io.stdout.write(scrubber.scrub(text.endsWith('\n') ? text : `${text}\n`)),
    scrubber,
  };
}
