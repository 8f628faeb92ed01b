/**
 * `completion bash|zsh|fish` prints a completion script; `__complete-envs` (hidden) prints the env
 * repo's environments for it, one per line. The CLI describes its commands and flags as a
 * CompletionModel, so the scripts always match the program.
 */

import { repoDir } from '../../adapters/repo.js';
import { invalid, quote } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import { loadConfig } from '../../steps/config.js';
import { bashScript, type CompletionCommand, type CompletionModel, fishScript, zshScript } from './scripts.js';

export type { CompletionCommand, CompletionModel };

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

// Words that reach a script unquoted must be plain: flags, command names, choices.
const WORD = /^[A-Za-z0-9][\w-]*$|^--?[A-Za-z0-9][\w-]*$/;
// Environment names as gitops-flow.yaml allows them; anything else is not offered to a shell.
const ENV_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The completion script for `shell`. */
export function completionScript(shell: string, model: CompletionModel): string {
  const plain = sanitize(model);
  switch (shell) {
    case 'bash':
      return bashScript(plain);
    case 'zsh':
      return zshScript(plain);
    case 'fish':
      return fishScript(plain);
    default:
      throw invalid(
        'SHELL_UNSUPPORTED',
        `No completion for shell ${quote(shell)}.`,
        `Use one of: ${SHELLS.join(', ')}.`,
        shell,
      );
  }
}

/** Prints the environments of the env repo, one per line; prints nothing when there is no env repo. */
export async function completeEnvs(o: { repoDir?: string }, ctx: CommandContext): Promise<void> {
  try {
    const config = await loadConfig(repoDir(ctx, o.repoDir));
    const names = [...config.environments.keys()].filter((n) => ENV_NAME.test(n));
    if (ctx.opts.json) ctx.log.result(JSON.stringify(names));
    else if (names.length > 0) ctx.io.stdout.write(`${names.join('\n')}\n`);
  } catch {
    // Completion must never print errors into a shell prompt.
  }
}

function sanitize(m: CompletionModel): CompletionModel {
  const words = (ws: string[]) => ws.filter((w) => WORD.test(w));
  return {
    globalFlags: words(m.globalFlags),
    dirFlags: words(m.dirFlags),
    commands: m.commands
      .filter((c) => WORD.test(c.name))
      .map((c) => ({
        ...c,
        flags: words(c.flags),
        valueFlags: words(c.valueFlags),
        envFlags: words(c.envFlags),
        choices: words(c.choices),
      })),
  };
}
