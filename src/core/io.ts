/**
 * What every command receives instead of reaching for globals: its working directory, environment,
 * streams and a logger. Tests inject all of it.
 */
import type { Writable } from 'node:stream';
import type { createLogUpdate } from 'log-update';
import pc from 'picocolors';
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
  /** True with --verbose: worth spending a process on what only debug() would show. */
  readonly verbose?: boolean;
  warn(line: string): void;
  /** Machine output (stdout). */
  result(text: string): void;
  /**
   * Opens a collapsible section around what follows (GitLab CI, `GITLAB_CI=true`); returns the function
   * that closes it. Undefined elsewhere. Callers name the section; only the logger knows GitLab.
   */
  section?(name: string, title: string): () => void;
  /**
   * A block of lines redrawn in place at the bottom of a terminal (stderr is a TTY, not CI); lines
   * logged while it is open print above it. Undefined where output is a log (CI, pipes, files): callers
   * then print plain lines.
   */
  live?(): LiveRegion | undefined;
  /** Colours for human lines on stderr: real ones on a terminal, none with NO_COLOR or in a pipe. */
  readonly color: Colors;
  readonly scrubber: Scrubber;
}

export type Colors = ReturnType<typeof pc.createColors>;

export interface LiveRegion {
  /** Replaces the region's text. */
  update(text: string): void;
  /** Erases the region; later lines print as usual. */
  close(): void;
}

export interface RunOptions {
  dryRun: boolean;
  verbose: boolean;
  json: boolean;
}

/** What every command (and every step) gets: its inputs and outputs, the logger and the global options. */
export interface CommandContext {
  io: Io;
  log: Logger;
  opts: RunOptions;
}

/** The one logger: human lines to stderr, machine output to stdout, secrets scrubbed from both. */
export function createLogger(io: Io, opts: { verbose: boolean; quiet?: boolean; now?: () => number }): Logger {
  const scrubber = new Scrubber(io.env);
  let region: { render?: ReturnType<typeof createLogUpdate>; text: string } | undefined;
  const err = (line: string) => {
    if (!region?.render) {
      io.stderr.write(`${scrubber.scrub(line)}\n`);
      return;
    }
    // Lift the live region, print the line where it was, and draw the region again below it.
    region.render.clear();
    io.stderr.write(`${scrubber.scrub(line)}\n`);
    region.render(region.text);
  };
  const sections = io.env.GITLAB_CI === 'true' ? gitlabSections(io, scrubber, opts.now ?? Date.now) : undefined;
  // log-update is loaded only on a terminal, where a live view may be shown (it costs start-up time).
  const logUpdate = interactive(io) ? import('log-update') : undefined;
  const live = (): LiveRegion | undefined => {
    if (!interactive(io) || region) return undefined;
    const own: { render?: ReturnType<typeof createLogUpdate>; text: string } = { text: '' };
    region = own;
    void (logUpdate ?? import('log-update')).then(({ createLogUpdate }) => {
      if (region !== own) return;
      // showCursor: log-update would otherwise hide the cursor of the real process.stderr.
      own.render = createLogUpdate(io.stderr as NodeJS.WriteStream, { showCursor: true });
      if (own.text) own.render(own.text);
    });
    return {
      update: (text) => {
        if (region !== own) return;
        own.text = scrubber.scrub(text);
        own.render?.(own.text);
      },
      close: () => {
        if (region !== own) return;
        own.render?.clear();
        own.render?.done();
        region = undefined;
      },
    };
  };
  return {
    info: (line) => !opts.quiet && err(line),
    debug: (line) => opts.verbose && err(line),
    verbose: opts.verbose,
    warn: (line) => err(`warning: ${line}`),
    result: (text) => io.stdout.write(scrubber.scrub(text.endsWith('\n') ? text : `${text}\n`)),
    // Undefined outside GitLab CI, so callers can tell a section would not collapse (and skip its content).
    ...(sections && { section: sections }),
    live,
    color: pc.createColors(colorEnabled(io)),
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
export function colorEnabled(io: Io, stream: 'stderr' | 'stdout' = 'stderr'): boolean {
  if (io.env.NO_COLOR) return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return Boolean((io[stream] as { isTTY?: boolean }).isTTY) && io.env.TERM !== 'dumb';
}

/**
 * Whether stderr is a person's terminal, where output may be redrawn in place: a TTY, not CI
 * (`CI` set, as GitLab and every CI service do), not `TERM=dumb`.
 */
export function interactive(io: Io): boolean {
  const ci = io.env.CI !== undefined && io.env.CI !== '' && io.env.CI !== '0' && io.env.CI !== 'false';
  return (
    Boolean((io.stderr as { isTTY?: boolean }).isTTY) && !ci && io.env.GITLAB_CI !== 'true' && io.env.TERM !== 'dumb'
  );
}
