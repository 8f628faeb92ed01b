/**
 * Shell completion: the scripts parse in their shell, and bash really completes from them, calling the
 * real CLI (through tsx) as `gitops-flow` for the repo's environments.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { EXAMPLE_ENV_REPO, REPO_ROOT, tempDir } from '../helpers/git-fixtures.js';

async function script(shell: string): Promise<string> {
  const r = await runCli(['completion', shell]);
  expect(r.code, r.stderr).toBe(0);
  const file = join(tempDir(), `completion.${shell}`);
  writeFileSync(file, r.stdout);
  return file;
}

/** A `gitops-flow` on PATH that runs this checkout's CLI from source. */
function cliOnPath(): string {
  const dir = tempDir('gitops-flow-cli-');
  const entry = join(dir, 'entry.mts');
  writeFileSync(
    entry,
    `import { main } from ${JSON.stringify(join(REPO_ROOT, 'src/cli/main.ts'))};\nprocess.exitCode = await main(process.argv.slice(2), { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr });\n`,
  );
  writeFileSync(
    join(dir, 'gitops-flow'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'))} ${JSON.stringify(entry)} "$@"\n`,
  );
  chmodSync(join(dir, 'gitops-flow'), 0o755);
  return dir;
}

/** What bash's completion function offers for `words` (the last one being completed). */
function complete(file: string, words: string[], path: string): string[] {
  const out = execFileSync(
    'bash',
    [
      '-c',
      'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _gitops_flow; printf "%s\\n" "${COMPREPLY[@]}"',
      'bash',
      file,
      ...words,
    ],
    {
      env: { ...cleanEnv(), PATH: `${path}:/usr/bin:/bin` },
      encoding: 'utf8',
    },
  );
  return out.split('\n').filter(Boolean);
}

describe('completion', () => {
  it('the bash script is valid bash (bash -n)', async () => {
    const file = await script('bash');
    expect(() => execFileSync('bash', ['-n', file], { stdio: 'pipe' })).not.toThrow();
  });

  it('the zsh script is valid zsh (zsh -n)', async () => {
    const file = await script('zsh');
    expect(() => execFileSync('zsh', ['-n', file], { stdio: 'pipe' })).not.toThrow();
  });

  it('the fish script is valid fish (fish -n)', async () => {
    const file = await script('fish');
    expect(() => execFileSync('fish', ['-n', file], { stdio: 'pipe' })).not.toThrow();
  });

  it("__complete-envs lists the example env repo's environments, and nothing (exit 0) outside one", async () => {
    const r = await runCli(['-C', EXAMPLE_ENV_REPO, '__complete-envs']);
    expect(r).toEqual({ code: 0, stdout: 'dev\nuat\nprod\n', stderr: '' });
    const none = await runCli(['-C', tempDir(), '__complete-envs']);
    expect(none).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('scripts list commands and flags from the program, not hidden ones; unknown shells exit 2', async () => {
    const bash = (await runCli(['completion', 'bash'])).stdout;
    for (const word of ['render', 'promote', 'init', 'doctor', 'completion', '--repo-dir', '--from', '--envs'])
      expect(bash).toContain(word);
    expect(bash).not.toMatch(/_gitops_flow_filter [^\n]*__complete-envs/);
    const fish = (await runCli(['completion', 'fish'])).stdout;
    expect(fish).toContain(
      "complete -c gitops-flow -n '__gitops_flow_using promote' -l to -x -a '(__gitops_flow_envs)'",
    );
    const bad = await runCli(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Allowed choices are bash, zsh, fish');
  });

  it('bash completes commands, flags, choices and --env/--from/--to values from the repo named by -C', async () => {
    const file = await script('bash');
    const path = cliOnPath();
    expect(complete(file, ['gitops-flow', 'pro'], path)).toEqual(['promote']);
    expect(complete(file, ['gitops-flow', '-C', EXAMPLE_ENV_REPO, 'promote', '--f'], path)).toEqual([
      '--from',
      '--force',
    ]);
    expect(complete(file, ['gitops-flow', 'completion', ''], path)).toEqual(['bash', 'zsh', 'fish']);
    expect(
      complete(file, ['gitops-flow', '-C', EXAMPLE_ENV_REPO, 'promote', '--from', 'dev', '--to', ''], path),
    ).toEqual(['dev', 'uat', 'prod']);
    expect(complete(file, ['gitops-flow', '--repo-dir', EXAMPLE_ENV_REPO, 'render', '--env', 'u'], path)).toEqual([
      'uat',
    ]);
    // --to of rollback takes a ref, not an environment.
    expect(complete(file, ['gitops-flow', '-C', EXAMPLE_ENV_REPO, 'rollback', '--to', ''], path)).toEqual([]);
  });
});
