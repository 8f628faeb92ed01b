/**
 * init, doctor and completion (and the hidden `__complete-envs`), registered on the program by main.
 * Kept apart from main.ts so these commands can grow without touching the release commands.
 */
import { Argument, type Command, Option } from 'commander';
import type { CompletionModel } from '../commands/completion/index.js';
import type { CommandContext } from '../core/io.js';
import { declareVerb } from './declare.js';

export function registerExtraCommands(
  program: Command,
  context: () => CommandContext,
  repo: () => string | undefined,
  setExitCode: (code: number) => void,
): void {
  declareVerb(program, 'init').action(async (o) => {
    const r = await (await import('../commands/init/index.js')).init(
      { repoDir: repo(), envs: o.envs, app: o.app, image: o.image, force: Boolean(o.force) },
      context(),
    );
    if (context().opts.json) context().log.result(JSON.stringify(r, null, 2));
  });

  declareVerb(program, 'doctor').action(async () => {
    const ctx = context();
    const r = await (await import('../commands/doctor/index.js')).doctor({ repoDir: repo() }, ctx);
    if (ctx.opts.json) ctx.log.result(JSON.stringify({ checks: r.checks }, null, 2));
    if (!r.ok) {
      // The checks are the whole machine output (one JSON document); the verdict goes to stderr.
      const n = r.checks.filter((c) => c.ok === false && c.required).length;
      ctx.io.stderr.write(
        `error[DOCTOR_FAILED]: ${n} required check(s) failed.\nhint: Apply the fix shown under each ✗, then run gitops-flow doctor again.\n`,
      );
      setExitCode(1);
    }
  });

  declareVerb(program, 'completion').action(async (shell: string) => {
    const { completionScript } = await import('../commands/completion/index.js');
    const script = completionScript(shell as 'bash' | 'zsh' | 'fish', completionModel(program));
    if (context().opts.json) context().log.result(JSON.stringify({ shell, script }, null, 2));
    else context().io.stdout.write(script);
  });

  declareVerb(program, 'run').action(async (pipeline: string, o) => {
    await (await import('../commands/run/index.js')).run(
      { repoDir: repo(), pipeline, inputs: o.input, env: o.env },
      context(),
    );
  });

  const pipelines = program
    .command('pipelines')
    .description('list or show pipelines: those of gitops-flow.yaml and the built-in verbs');
  pipelines
    .command('list', { isDefault: true })
    .description('the pipelines, the verbs and the built-in steps (the default)')
    .action(async () => {
      await (await import('../commands/pipelines/index.js')).listPipelines({ repoDir: repo() }, context());
    });
  declareVerb(pipelines, 'pipelines show', 'show').action(async (name: string, o) => {
    await (await import('../commands/pipelines/index.js')).showPipeline(
      { repoDir: repo(), name, env: o.env },
      context(),
    );
  });

  const tools = program
    .command('tools')
    .description('the pinned kubectl, kustomize and helm: where gitops-flow finds them, and installing them');
  tools
    .command('list', { isDefault: true })
    .description('which kubectl, kustomize and helm gitops-flow runs, from where, at which version (the default)')
    .action(async () => {
      const ctx = context();
      const rows = await (await import('../commands/tools/index.js')).toolsList({}, ctx);
      if (ctx.opts.json) ctx.log.result(JSON.stringify({ tools: rows }, null, 2));
    });
  tools
    .command('install')
    .description(
      'install the pinned kubectl and kustomize (and helm, when named) into the tools cache (official binaries, checksum verified)',
    )
    .addArgument(
      new Argument(
        '[tool...]',
        'kubectl, kustomize, helm (default: kubectl and kustomize; helm is for build.enableHelm)',
      ).choices(['kubectl', 'kustomize', 'helm']),
    )
    .addOption(
      new Option('--from <source>', 'download (official binary), build (Go module proxy) or auto: download, else build')
        .choices(['auto', 'download', 'build'])
        .default('auto'),
    )
    .action(async (names: ('kubectl' | 'kustomize' | 'helm')[], o: { from: 'auto' | 'download' | 'build' }) => {
      const ctx = context();
      const results = await (await import('../commands/tools/index.js')).toolsInstall(
        { tools: names, from: o.from },
        ctx,
      );
      if (ctx.opts.json) ctx.log.result(JSON.stringify({ installed: results }, null, 2));
    });

  program
    .command('__complete-envs', { hidden: true })
    .description('print the environments of the env repo (for completion scripts)')
    .action(async () => (await import('../commands/completion/index.js')).completeEnvs({ repoDir: repo() }, context()));
}

const ENV_FLAGS = ['--env', '--from', '--to'];
const ENV_VALUE = /<(env|environment|e)>/;

/** Commands, flags and choices as commander knows them (hidden commands and options left out). */
export function completionModel(program: Command): CompletionModel {
  const help = program.createHelp();
  const flagsOf = (options: { short?: string; long?: string }[]) =>
    options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  const globals = help.visibleOptions(program);
  const commands = help.visibleCommands(program);
  return {
    globalFlags: flagsOf(globals),
    dirFlags: flagsOf(globals.filter((o) => o.long === '--repo-dir')),
    commands: commands.map((cmd) => {
      const options = help.visibleOptions(cmd);
      const valued = options.filter((o) => o.required || o.optional);
      return {
        name: cmd.name(),
        description: cmd.description(),
        flags: flagsOf(options),
        valueFlags: flagsOf(valued),
        envFlags: flagsOf(
          valued.filter((o) => o.long !== undefined && ENV_FLAGS.includes(o.long) && ENV_VALUE.test(o.flags)),
        ),
        // `help <command>` completes command names.
        choices:
          cmd.name() === 'help'
            ? commands.map((c) => c.name()).filter((n) => n !== 'help')
            : cmd.registeredArguments.flatMap((a) => a.argChoices ?? []),
      };
    }),
  };
}
