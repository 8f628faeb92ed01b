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
  /**
   * Opens a collapsible section around what follows (GitLab CI, `GITLAB_CI=true`); returns the function
   * that closes it. Elsewhere it prints nothing. Callers name the section; only the logger knows GitLab.
   */
  section?(name: string, title: string): () => void;
  readonly scrubber: Scrubber;
}

export interface RunOptions {
  dryRun: boolean;
  verbose: boolean;
  json: boolean;
}

/** The one logger: human lines to stderr, machine output to stdout, secrets scrubbed from both. */
export function createLogger(io: Io, opts: { verbose: boolean; quiet?: boolean; now?: () => number }): Logger {
  const scrubber = new Scrubber(io.env);
  const err = (line: string) => io.stderr.write(`${scrubber.scrub(line)}\n`);
  const sections = io.env.GITLAB_CI === 'true' ? gitlabSections(io, scrubber, opts.now ?? Date.now) : undefined;
  return {
    info: (line) => !opts.quiet && err(line),
    debug: (line) => opts.verbose && err(line),
    warn: (line) => err(`warning: ${line}`),
    result: (text) => io.stdout.write(scrubber.scrub(text.endsWith('\n') ? text : `${text}\n`)),
    section: (name, title) => sections?.(name, title) ?? (() => {}),
    scrubber,
  };
}

/**
 * GitLab's collapsible job-log sections: `\e[0Ksection_start:<unix>:<id>[collapsed=true]\r\e[0K<title>`
 * and `\e[0Ksection_end:<unix>:<id>\r\e[0K`. GitLab accepts only `[a-zA-Z0-9_.-]` in ids and needs
 * them unique in a job log, so ids get a sequence number.
 */
function gitlabSections(io: Io, scrubber: Scrubber, now: () => number) {
  let seq = 0;
  const unix = () => Math.floor(now() / 1000);
  return (name: string, title: string): (() => void) => {
    seq += 1;
    const id = `gitops_flow_${seq}_${name.replace(/[^a-zA-Z0-9_.-]+/g, '_')}`.slice(0, 100);
    const shown = scrubber.scrub(title).replace(/[\u0000-\u001f\u007f]+/g, ' ');
    io.stderr.write(`\x1b[0Ksection_start:${unix()}:${id}[collapsed=true]\r\x1b[0K${shown}\n`);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      io.stderr.write(`\x1b[0Ksection_end:${unix()}:${id}\r\x1b[0K\n`);
    };
  };
}

/**
 * Whether human output may use colour: never with `NO_COLOR` (any non-empty value, no-color.org),
 * always with `FORCE_COLOR` (not "0"), otherwise only on a terminal that is not `TERM=dumb`.
 */
export function colorEnabled(io: Io): boolean {
  if (io.env.NO_COLOR) return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return Boolean((io.stderr as { isTTY?: boolean }).isTTY) && io.env.TERM !== 'dumb';
}
