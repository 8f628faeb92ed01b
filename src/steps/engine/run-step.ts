/**
 * A `run:` step: an argv list (never a shell) or the path of an executable script in the env repo,
 * through the one exec wrapper. Its environment has every credential removed except the `secrets:` it
 * declares; its output is scrubbed (declared secrets too); it writes outputs the GitHub way, `key=value`
 * lines or `key<<DELIM` … `DELIM` blocks, to the file named by GITOPS_FLOW_OUTPUT.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTAINER_REPO, type EngineSession, engineSession, runInContainer } from '../../adapters/container-step.js';
import { exec } from '../../adapters/exec.js';
import { isolationPrefix, UNISOLATED } from '../../adapters/isolate.js';
import { confine } from '../../adapters/repo.js';
import { invalid } from '../../core/errors.js';
import type { CommandContext, Logger } from '../../core/io.js';
import { isCredentialVariable, Scrubber } from '../../core/scrub.js';
import { stepFailed } from './engine.js';

const OUTPUT_VARIABLE = 'GITOPS_FLOW_OUTPUT';

export interface RunCommand {
  /** Shown in the log and in errors. */
  name: string;
  /** The argv after interpolation; `script`: argv[0] is a path in the repo (the string form of run:). */
  argv: string[];
  script: boolean;
  /** Extra variables (after interpolation). */
  env: Record<string, string>;
  secrets: string[];
  /** The env repo: the working directory, and where script paths must stay. */
  root: string;
  timeoutMs?: number;
  /** Facts for the script: GITOPS_FLOW_ENVIRONMENT etc. */
  facts?: Record<string, string>;
  /** Run in this container image through the Dagger engine session (image:), not on this machine. */
  image?: string;
}

/**
 * A step with `image:` needs the engine session this process runs in (the Dagger module, or `dagger run
 * gitops-flow …`): refused before anything runs when there is none (exit 2), naming the two ways.
 */
export function requireEngineFor(step: string, image: string, env: NodeJS.ProcessEnv): EngineSession {
  const session = engineSession(env);
  if (session) return session;
  throw invalid(
    'STEP_NEEDS_ENGINE',
    `Step "${step}" runs in the container ${image} (image:), which needs a Dagger engine, and this run has none.`,
    'Run it through Dagger: dagger run gitops-flow … (the dagger CLI and an engine on this machine), or the Dagger module (dagger call … run); or remove image: to run the step here.',
    image,
  );
}

/** The environment of a `run:` step: no credentials but the declared ones, then the step's own env. */
export function stepEnvironment(
  base: NodeJS.ProcessEnv,
  secrets: string[],
  extra: Record<string, string>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base))
    if (v !== undefined && (!isCredentialVariable(k, v) || secrets.includes(k))) env[k] = v;
  return { ...env, ...extra };
}

let warned = false;

/** Runs the command; resolves with its outputs, throws STEP_FAILED on a non-zero exit or a timeout. */
export async function runCommand(c: RunCommand, ctx: CommandContext): Promise<Record<string, string>> {
  const [first = '', ...args] = c.argv;
  // A path (the script form, or a list whose command names a file, ./smoke.sh) must stay in the repo.
  const cmd = c.script || first.includes('/') ? confine(c.root, first, `run: ${first}`) : first;
  if (cmd !== first || c.script) {
    const kind = await stat(cmd).catch(() => undefined);
    if (!kind?.isFile()) throw stepFailed(c.name, `has no script at ${JSON.stringify(first)} in the env repo`);
  }
  const scrubber = new Scrubber(ctx.io.env, c.secrets);
  const log = scrubbed(ctx.log, scrubber);
  if (c.image) return runImage(c, ctx, log, scrubber, cmd === first ? first : `./${first.replace(/^\.\//, '')}`);
  const dir = await mkdtemp(join(tmpdir(), 'gitops-flow-step-'));
  const outputFile = join(dir, 'output');
  try {
    const env = stepEnvironment(ctx.io.env, c.secrets, { ...c.facts, ...c.env, [OUTPUT_VARIABLE]: outputFile });
    // Its own PID namespace and /proc: the step cannot read gitops-flow's environment (its tokens).
    const isolate = ctx.opts.dryRun ? [] : await isolationPrefix(env, ctx.log);
    if (!isolate && !warned) {
      warned = true;
      ctx.log.warn(UNISOLATED);
    }
    const r = await exec([...(isolate ?? []), cmd, ...args], {
      cwd: c.root,
      env,
      log,
      mutates: true,
      dryRun: ctx.opts.dryRun,
      allowFailure: true,
      ...(c.timeoutMs && { timeoutMs: c.timeoutMs }),
    });
    const output = `${r.stdout}${r.stderr}`.trimEnd();
    // The step's own output belongs to its section of the log.
    for (const line of output ? output.split('\n') : []) log.info(`  ${line}`);
    if (r.exitCode !== 0) {
      const killed = c.timeoutMs !== undefined && r.stderr.includes(`(killed after ${c.timeoutMs} ms)`);
      throw stepFailed(
        c.name,
        killed ? `timed out after ${c.timeoutMs} ms` : `exited with ${r.exitCode}`,
        output
          .split('\n')
          .slice(-10)
          .map((l) => scrubber.scrub(l)),
      );
    }
    const text = await readFile(outputFile, 'utf8').catch(() => '');
    // Outputs are scrubbed at the source: a declared secret written to an output cannot reach later steps' logs or --json.
    return Object.fromEntries(Object.entries(parseOutputs(text, c.name)).map(([k, v]) => [k, scrubber.scrub(v)]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A step with image: in its container through the engine session; only its declared secrets go in. */
async function runImage(
  c: RunCommand,
  ctx: CommandContext,
  log: Logger,
  scrubber: Scrubber,
  command: string,
): Promise<Record<string, string>> {
  const session = requireEngineFor(c.name, c.image as string, ctx.io.env);
  const argv = [command, ...c.argv.slice(1)];
  if (ctx.opts.dryRun) {
    log.info(`would run in ${c.image} (at ${CONTAINER_REPO}): ${argv.join(' ')}`);
    return {};
  }
  const secrets = Object.fromEntries(c.secrets.flatMap((k) => (ctx.io.env[k] ? [[k, ctx.io.env[k] as string]] : [])));
  let r: Awaited<ReturnType<typeof runInContainer>>;
  try {
    r = await runInContainer(session, {
      image: c.image as string,
      argv,
      env: { ...c.facts, ...c.env },
      secrets,
      root: c.root,
      ...(c.timeoutMs && { timeoutMs: c.timeoutMs }),
    });
  } catch (e) {
    const timedOut = (e as Error).name === 'TimeoutError';
    throw stepFailed(c.name, timedOut ? `timed out after ${c.timeoutMs} ms` : `could not run in ${c.image}`, [
      scrubber.scrub((e as Error).message),
    ]);
  }
  const output = `${r.stdout}${r.stderr}`.trimEnd();
  for (const line of output ? output.split('\n') : []) log.info(`  ${line}`);
  if (r.exitCode !== 0)
    throw stepFailed(
      c.name,
      `exited with ${r.exitCode}`,
      output
        .split('\n')
        .slice(-10)
        .map((l) => scrubber.scrub(l)),
    );
  return Object.fromEntries(Object.entries(parseOutputs(r.output, c.name)).map(([k, v]) => [k, scrubber.scrub(v)]));
}

function scrubbed(log: Logger, s: Scrubber): Logger {
  return {
    ...log,
    info: (l) => log.info(s.scrub(l)),
    debug: (l) => log.debug(s.scrub(l)),
    warn: (l) => log.warn(s.scrub(l)),
  };
}

/** Parses `key=value` lines and `key<<DELIM` … `DELIM` blocks, as GitHub's $GITHUB_OUTPUT. */
export function parseOutputs(text: string, step: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    if (!line.trim()) continue;
    const heredoc = /^([A-Za-z_][A-Za-z0-9_-]*)<<(\S+)$/.exec(line);
    if (heredoc) {
      const [, key, delim] = heredoc as unknown as [string, string, string];
      const end = lines.findIndex((l, j) => j > i && l.replace(/\r$/, '') === delim);
      if (end < 0)
        throw stepFailed(
          step,
          `wrote output ${JSON.stringify(key)} without its closing delimiter ${JSON.stringify(delim)}`,
        );
      out[key] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const kv = /^([A-Za-z_][A-Za-z0-9_-]*)=(.*)$/.exec(line);
    if (!kv)
      throw stepFailed(
        step,
        `wrote an output line that is neither key=value nor key<<DELIMITER: ${JSON.stringify(line.slice(0, 80))}`,
      );
    out[kv[1] as string] = kv[2] as string;
  }
  return out;
}
