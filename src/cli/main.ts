/**
 * The command line: argv → typed options → a command. The only place that prints errors or decides the
 * exit code (0 success or no-op, 1 operation failed, 2 invalid input or configuration).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, type Option } from 'commander';
import pc from 'picocolors';
import { ExecError } from '../adapters/exec-error.js';
import { withPinnedTools } from '../adapters/tools/locate.js';
import { GitopsError, quote } from '../core/errors.js';
import type { CommandContext } from '../core/io.js';
import { type Colors, colorEnabled, createLogger, type Io } from '../core/io.js';
import { packageFile } from '../core/package-root.js';
import { declareVerb, toOption } from './declare.js';
import { registerExtraCommands } from './extra-commands.js';
import { GLOBAL_OPTIONS } from './verbs.js';

interface GlobalOptions {
  repoDir?: string;
  json?: boolean;
  verbose?: boolean;
  dryRun?: boolean;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** commander's Command, reporting a mistyped flag before a missing required one. */
class CliCommand extends Command {
  override createCommand(name?: string): Command {
    return new CliCommand(name);
  }

  /**
   * commander checks required options before unknown ones, so `promote --form dev --to uat` said
   * "required option '--from <env>' not specified". The mistake is the unknown `--form`: report it,
   * with the nearest valid flag. (Overrides an undocumented method of the pinned commander; the
   * snapshot test of a mistyped flag guards it.)
   */
  missingMandatoryOptionValue(option: Option): void {
    const unknown = this.args.find((a) => a.startsWith('-'));
    const internals = this as unknown as { unknownOption(flag: string): void };
    if (unknown) internals.unknownOption(unknown);
    (Command.prototype as unknown as { missingMandatoryOptionValue(o: Option): void }).missingMandatoryOptionValue.call(
      this,
      option,
    );
  }
}

/** `env` with the pinned tools first on PATH; as it is when ci/tools.json cannot be read (doctor says why). */
function pinnedToolsEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  try {
    return withPinnedTools(env);
  } catch {
    return env;
  }
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const program = new CliCommand('gitops-flow');
  let ctx: CommandContext | undefined;
  const context = (): CommandContext => {
    const g = program.opts<GlobalOptions>();
    ctx ??= {
      // The pinned tools found in GITOPS_FLOW_TOOLS_DIR or the tools cache go first on PATH, for every child.
      io: { ...io, env: pinnedToolsEnv(io.env) },
      log: createLogger(io, { verbose: Boolean(g.verbose) }),
      opts: { dryRun: Boolean(g.dryRun), verbose: Boolean(g.verbose), json: Boolean(g.json) },
    };
    return ctx;
  };
  const repo = () => program.opts<GlobalOptions>().repoDir;

  program
    .description('GitOps releases as git commits: suggest, deploy, promote and restore kustomize environments.')
    .version(version(), '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(usageError(s, pc.createColors(colorEnabled(io)))),
    })
    .exitOverride();
  for (const o of GLOBAL_OPTIONS) program.addOption(toOption(o));

  declareVerb(program, 'suggest').action(async (o) => {
    const upstream = Object.fromEntries(
      [
        ['project', o.upstreamProject],
        ['commit', o.upstreamCommit],
        ['ref', o.upstreamRef],
        ['pipelineId', o.upstreamPipeline],
        ['pipelineUrl', o.upstreamPipelineUrl],
        ['message', o.upstreamMessage],
      ].filter(([, v]) => v !== undefined),
    );
    const r = await (await import('../commands/suggest/index.js')).suggest(
      {
        envRepo: o.envRepo,
        env: o.env,
        images: o.image,
        targetBranch: o.targetBranch,
        pushToTarget: Boolean(o.pushToTarget),
        force: Boolean(o.force),
        pinDigest: Boolean(o.pinDigest),
        allowUnused: Boolean(o.allowUnused),
        upstream,
        mergeRequest: o.mergeRequest,
      },
      context(),
    );
    if (context().opts.json) context().log.result(JSON.stringify(r, null, 2));
  });

  declareVerb(program, 'render').action(async (o) =>
    (await import('../commands/render/index.js')).render(
      { repoDir: repo(), env: o.env, ref: o.ref, out: o.out },
      context(),
    ),
  );

  declareVerb(program, 'deploy').action(async (o) => {
    await (await import('../commands/deploy/index.js')).deploy(
      {
        repoDir: repo(),
        env: o.env,
        ref: o.ref,
        timeout: o.timeout,
        out: o.out,
        lastGood: o.lastGood,
        failFast: o.failFast,
        jsonEvents: o.jsonEvents,
      },
      context(),
    );
  });

  declareVerb(program, 'promote').action(async (o) => {
    await (await import('../commands/promote/index.js')).promote(
      {
        repoDir: repo(),
        from: o.from,
        to: o.to,
        images: o.image,
        deploy: o.deploy,
        push: o.push,
        timeout: o.timeout,
        force: o.force,
        allowUnused: Boolean(o.allowUnused),
        includeShared: Boolean(o.includeShared),
        failFast: o.failFast,
        jsonEvents: o.jsonEvents,
      },
      context(),
    );
  });

  declareVerb(program, 'status').action(async (o) => {
    await (await import('../commands/status/index.js')).status({ repoDir: repo(), cluster: o.cluster }, context());
  });

  declareVerb(program, 'history').action(async (o) => {
    await (await import('../commands/history/index.js')).history(
      { repoDir: repo(), env: o.env, since: o.since, limit: o.limit },
      context(),
    );
  });

  declareVerb(program, 'rollback').action(async (o) => {
    await (await import('../commands/rollback/index.js')).rollback(
      {
        repoDir: repo(),
        env: o.env,
        to: o.to,
        reason: o.reason,
        deploy: o.deploy,
        push: o.push,
        timeout: o.timeout,
        includeShared: Boolean(o.includeShared),
      },
      context(),
    );
  });

  declareVerb(program, 'restore').action(async (o) => {
    await (await import('../commands/restore/index.js')).restore(
      {
        repoDir: repo(),
        env: o.env,
        allEnvs: o.allEnvs,
        at: o.at,
        deploy: o.deploy,
        push: o.push,
        timeout: o.timeout,
        includeShared: Boolean(o.includeShared),
      },
      context(),
    );
  });

  declareVerb(program, 'unpin').action(async (o) => {
    const r = await (await import('../commands/unpin/index.js')).unpin(
      { repoDir: repo(), env: o.env, push: o.push },
      context(),
    );
    if (context().opts.json) context().log.result(JSON.stringify(r, null, 2));
  });

  let exitCode = 0;
  declareVerb(program, 'diff').action(async (o) => {
    const r = await (await import('../commands/diff/index.js')).diff(
      { repoDir: repo(), env: o.env, from: o.from, to: o.to, cluster: o.cluster },
      context(),
    );
    if (o.exitCode && r.changed) exitCode = 1;
  });

  registerExtraCommands(program, context, repo, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    const c = ctx ?? context();
    // A usage error can come before commander has parsed --json.
    const json =
      c.opts.json || argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length).includes('--json');
    return report(e, io, { ...c, opts: { ...c.opts, json } });
  }
}

export const USAGE_HINT = 'Run gitops-flow --help, or gitops-flow <command> --help, for usage.';

/**
 * commander's usage errors in the catalogue's format: `error: unknown option '--envv'\n(Did you mean
 * --env?)` becomes `error[USAGE_INVALID]: unknown option '--envv'`, the suggestion, and a hint.
 */
function usageError(text: string, c: Colors): string {
  const [first = '', ...rest] = text.trimEnd().split('\n');
  const head = `${c.bold(c.red('error[USAGE_INVALID]'))}${c.bold(`: ${first.replace(/^error: /, '')}`)}`;
  return `${[head, ...rest.filter(Boolean).map((l) => `  ${l}`), `${c.cyan('hint:')} ${USAGE_HINT}`].join('\n')}\n`;
}

/**
 * Anything thrown, as a catalogue error: a GitopsError as it is; a tool that failed where no command
 * expected it (COMMAND_FAILED); a file that could not be read or written (IO_FAILED); else a bug.
 */
export function asGitopsError(e: unknown): GitopsError {
  if (e instanceof GitopsError) return e;
  if (e instanceof ExecError) {
    return new GitopsError({
      code: 'COMMAND_FAILED',
      message: `${e.argv[0]} failed: ${e.message}`,
      value: e.argv.join(' '),
      remediation: 'Run again with --verbose to see the command and its output.',
      details: e.stderr.trim().split('\n').slice(-10),
      cause: e,
    });
  }
  const sys = e as NodeJS.ErrnoException;
  if (e instanceof Error && typeof sys.code === 'string' && /^E[A-Z]+$/.test(sys.code) && sys.syscall) {
    return new GitopsError({
      code: 'IO_FAILED',
      message: `Could not ${sys.syscall} ${sys.path ?? 'a file'}: ${sys.code}.`,
      value: sys.path,
      remediation: 'Check that the path exists, is the kind of file expected (not a directory) and is writable.',
      cause: e,
    });
  }
  return new GitopsError({
    code: 'INTERNAL',
    message: e instanceof Error ? e.message : String(e),
    remediation: 'This is a bug in gitops-flow; please report it with the --verbose output.',
    cause: e,
  });
}

/** Prints an error (human on stderr; JSON on stdout with --json) and returns its exit code. */
function report(e: unknown, io: Io, ctx: CommandContext): number {
  const scrub = (s: string) => ctx.log.scrubber.scrub(s);
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    // commander has printed the message (and the nearest valid name) on stderr; scripts get it as JSON.
    const [first = '', ...rest] = e.message.split('\n');
    const message = first.replace(/^error: /, '');
    if (ctx.opts.json) {
      // The word at fault: the rejected value of an argument, else the unknown command or option.
      const value = (/(?:argument|value) '([^']*)' is invalid/.exec(message) ?? /'([^']*)'/.exec(message))?.[1] ?? null;
      io.stdout.write(
        `${scrub(JSON.stringify({ error: { code: 'USAGE_INVALID', message, value, remediation: USAGE_HINT, details: rest.filter(Boolean) } }))}\n`,
      );
    }
    return 2;
  }
  const err = asGitopsError(e);
  const c = ctx.log.color;
  const lines = [
    `${c.bold(c.red(`error[${err.code}]`))}${c.bold(`: ${err.message}`)}`,
    ...err.details.map((d) => `  ${d}`),
  ];
  // The value at fault, unless the message already shows it.
  if (err.value && ![err.message, ...err.details].some((l) => l.includes(err.value as string)))
    lines.push(`  ${c.dim('value:')} ${quote(err.value)}`);
  if (err.remediation) lines.push(`${c.cyan('hint:')} ${err.remediation}`);
  if (ctx.opts.verbose && e instanceof Error && e.stack && !(e instanceof GitopsError)) lines.push(e.stack);
  io.stderr.write(`${scrub(lines.join('\n'))}\n`);
  // One JSON document on stdout: a command that wrote its result already exits with the code alone.
  if (ctx.opts.json && !err.resultPrinted) {
    io.stdout.write(
      // Scrubbed before encoding (a secret JSON escapes differently), and after, for URL credentials.
      `${scrub(JSON.stringify(ctx.log.scrubber.scrubValue({ error: { code: err.code, message: err.message, value: err.value ?? null, remediation: err.remediation ?? null, details: err.details } })))}\n`,
    );
  }
  return err.exitCode;
}
