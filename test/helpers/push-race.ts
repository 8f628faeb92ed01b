/**
 * A deterministic push race: a PATH whose `git` is a stub that, on the first `push` it sees, first
 * pushes another clone's prepared commit to the same remote — so the run's own push is rejected and
 * it must replay its change on that new tip.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv } from './cli.js';
import { tempDir } from './git-fixtures.js';

const REAL_GIT = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

/** The env (cleanEnv + `extra`) of a run whose first push loses the race to `other`'s `main`. */
export function racedEnv(other: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const dir = tempDir('gitops-flow-stubs-');
  const marker = join(dir, 'raced');
  writeFileSync(
    join(dir, 'git'),
    `#!/bin/sh
# STUB git: before the first push, another clone pushes to main first; then the real git runs.
if [ "$1" = push ] && [ ! -e '${marker}' ]; then
  : > '${marker}'
  ${REAL_GIT} -C '${other}' push --quiet origin main >&2 || exit 99
fi
exec ${REAL_GIT} "$@"
`,
  );
  chmodSync(join(dir, 'git'), 0o755);
  const env = cleanEnv(extra);
  return { ...env, PATH: `${dir}:${env.PATH}` };
}
