/**
 * The command line: argv → typed options → a command. The only place that prints errors or decides the
 * exit code (0 success or no-op, 1 operation failed, 2 invalid input or configuration).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import { ExecError } from '../adapters/exec.js';
import { GitopsError, quote } from '../core/errors.js';
import type { CommandContext } from '../core/io.js';
import { type Colors, colorEnabled, createLogger, type Io } from '../core/io.js';
import { packageFile } from '../core/package-root.js';
import { registerExtraCommands } from './extra-commands.js';

interface GlobalOptions {
  repoDir?: string;
  json?: boolean;
  verbose?: boolean;
  dryRun?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

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

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const program = new CliCommand('gitops-flow');
  let ctx: CommandContext | undefined;
  const context = (): CommandContext => {
    const g = program.opts<GlobalOptions>();
    ctx ??= {
      io,
      log: createLogger(io, { verbose: Boolean(g.verbose) }),
      opts: { dryRun: Boolean(g.dryRun), verbose: Boolean(g.verbose), json: Boolean(g.json) },
    };
    return ctx;
  };
  const repo = () => program.opts<GlobalOptions>().repoDir;

  program
    .description('GitOps releases as git commits: suggest, deploy, promote and restore kustomize environments.')
    .version(version(), '-V, --version')
    .option('-C, --repo-dir <dir>', 'env repo working copy', undefined)
    .option('--json', 'machine-readable output on stdout')
    .option('--verbose', 'show every command run, with secrets scrubbed')
    .option('--dry-run', 'change nothing: no commit, no push; applies are server dry-runs')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(usageError(s, pc.createColors(colorEnabled(io)))),
    })
    .exitOverride();

  program
    .command('suggest')
    .description('set images in an env overlay of a remote env repo and push a merge request branch')
    .requiredOption('--env-repo <url>', 'clone URL of the env repository (token in GITOPS_FLOW_GIT_TOKEN)')
    .requiredOption('--env <env>', 'environment whose overlay gets the images')
    .requiredOption('--image <name=ref>', 'image to set, as kustomize edit set image takes it (repeatable)', collect)
    .option('--target-branch <branch>', 'branch the merge request targets (default: git.targetBranch, main)')
    .option('--push-to-target', 'commit straight to the target branch instead of a merge request branch')
    .option('--force', 'suggest into a pinned environment (and unpin it)')
    .option(
      '--pin-digest',
      'resolve each tag to its manifest digest in the registry and write both (docker config.json credentials)',
    )
    .addOption(
      new Option(
        '--merge-request <mode>',
        'open the merge request with GitLab push options or the forge API (default: git.mergeRequest.mode; GitHub: api)',
      ).choices(['push-options', 'api']),
    )
    .option('--upstream-project <path>', 'default $CI_PROJECT_PATH')
    .option('--upstream-commit <sha>', 'default $CI_COMMIT_SHA')
    .option('--upstream-ref <ref>', 'default $CI_COMMIT_REF_NAME')
    .option('--upstream-pipeline <id>', 'default $CI_PIPELINE_ID')
    .option('--upstream-pipeline-url <url>', 'default $CI_PIPELINE_URL')
    .option('--upstream-message <text>', 'default $CI_COMMIT_MESSAGE')
    .action(async (o) => {
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
          upstream,
          mergeRequest: o.mergeRequest,
        },
        context(),
      );
      if (context().opts.json) context().log.result(JSON.stringify(r, null, 2));
    });

  program
    .command('render')
    .description('render an environment with the pinned kustomize')
    .requiredOption('--env <env>', 'environment')
    .option('--ref <ref>', 'render the overlay as it was at this commit (default: the working tree)')
    .option('--out <file>', 'write the manifest to this file (inside the repo) instead of stdout')
    .action(async (o) =>
      (await import('../commands/render/index.js')).render(
        { repoDir: repo(), env: o.env, ref: o.ref, out: o.out },
        context(),
      ),
    );

  program
    .command('deploy')
    .description('render, server-side apply, wait for every workload; restore the last good render on failure')
    .requiredOption('--env <env>', 'environment')
    .option('--ref <ref>', 'commit to deploy (default HEAD)')
    .option('--timeout <duration>', 'how long to wait for workloads, e.g. 5m (default: config, 5m)')
    .option('--out <file>', 'where to keep the rendered manifest (default .gitops-flow/rendered/<env>.yaml)')
    .option('--last-good <ref>', 'commit re-applied when the rollout fails (default: the parent of --ref)')
    .action(async (o) => {
      await (await import('../commands/deploy/index.js')).deploy(
        { repoDir: repo(), env: o.env, ref: o.ref, timeout: o.timeout, out: o.out, lastGood: o.lastGood },
        context(),
      );
    });

  program
    .command('promote')
    .description('copy images from one environment to the next, deploy, verify, push')
    .requiredOption('--from <env>', 'source environment')
    .requiredOption('--to <env>', 'target environment')
    .option('--image <name>', 'promote only this image name (repeatable; default all)', collect)
    .option('--no-deploy', 'commit (and push) without deploying')
    .option('--no-push', 'commit and deploy without pushing')
    .option('--timeout <duration>', 'how long to wait for workloads, e.g. 5m')
    .option('--force', 'promote into a pinned environment (and unpin it)')
    .action(async (o) => {
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
        },
        context(),
      );
    });

  program
    .command('status')
    .description('what runs where, since when, verified or pending, and drift against the clusters')
    .option('--no-cluster', 'do not contact the clusters (no drift check)')
    .action(async (o) => {
      await (await import('../commands/status/index.js')).status({ repoDir: repo(), cluster: o.cluster }, context());
    });

  program
    .command('history')
    .description('every release, newest first (from git)')
    .option('--env <env>', 'only this environment')
    .option('--since <time>', 'only releases after this time (e.g. 2026-10-01T12:00Z, "2 weeks ago")')
    .addOption(new Option('--limit <n>', 'at most n releases').argParser(positiveInt))
    .action(async (o) => {
      await (await import('../commands/history/index.js')).history(
        { repoDir: repo(), env: o.env, since: o.since, limit: o.limit },
        context(),
      );
    });

  program
    .command('rollback')
    .description("put an env's overlay back to its previous release (or --to), deploy, verify, push, and pin it")
    .requiredOption('--env <env>', 'environment')
    .option('--to <ref>', 'commit whose overlay to bring back (default: before the last release)')
    .option('--reason <text>', 'why, recorded in the pin')
    .option('--no-deploy', 'commit (and push) without deploying')
    .option('--no-push', 'commit and deploy without pushing')
    .option('--timeout <duration>', 'how long to wait for workloads, e.g. 5m')
    .action(async (o) => {
      await (await import('../commands/rollback/index.js')).rollback(
        { repoDir: repo(), env: o.env, to: o.to, reason: o.reason, deploy: o.deploy, push: o.push, timeout: o.timeout },
        context(),
      );
    });

  program
    .command('restore')
    .description('disaster recovery: re-apply an env as git had it at a commit or time, and record it')
    .option('--env <env>', 'environment')
    .option('--all-envs', 'every environment, in promotion order')
    .requiredOption('--at <ref-or-time>', 'a commit, or an ISO-8601 time (the last commit at or before it)')
    .option('--no-deploy', 'only record the state in git')
    .option('--no-push', 'commit and deploy without pushing')
    .option('--timeout <duration>', 'how long to wait for workloads, e.g. 5m')
    .action(async (o) => {
      await (await import('../commands/restore/index.js')).restore(
        {
          repoDir: repo(),
          env: o.env,
          allEnvs: o.allEnvs,
          at: o.at,
          deploy: o.deploy,
          push: o.push,
          timeout: o.timeout,
        },
        context(),
      );
    });

  program
    .command('unpin')
    .description('release the pin a rollback put on an environment')
    .requiredOption('--env <env>', 'environment')
    .option('--no-push', 'commit without pushing')
    .action(async (o) => {
      const r = await (await import('../commands/unpin/index.js')).unpin(
        { repoDir: repo(), env: o.env, push: o.push },
        context(),
      );
      if (context().opts.json) context().log.result(JSON.stringify(r, null, 2));
    });

  let exitCode = 0;
  program
    .command('diff')
    .description('rendered diff of an env between two commits (images first), or against the cluster')
    .requiredOption('--env <env>', 'environment')
    .option('--from <ref>', 'older state (default: before the last change of the overlay)')
    .option('--to <ref>', 'newer state (default HEAD)')
    .option('--cluster', 'diff the render of --to against the live cluster (kubectl diff --server-side)')
    .option('--exit-code', 'exit 1 when there are differences, like git diff --exit-code')
    .action(async (o) => {
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

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('it must be a positive integer.');
  return n;
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
  if (ctx.opts.json) {
    io.stdout.write(
      // Scrubbed before encoding (a secret JSON escapes differently), and after, for URL credentials.
      `${scrub(JSON.stringify(ctx.log.scrubber.scrubValue({ error: { code: err.code, message: err.message, value: err.value ?? null, remediation: err.remediation ?? null, details: err.details } })))}\n`,
    );
  }
  return err.exitCode;
}
