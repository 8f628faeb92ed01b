/**
 * Real git fixtures: a committed repo from a `{ path: content }` map, and a bare remote that advertises
 * push options and records every push (options, ref updates) through a pre-receive hook.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const EXAMPLE_ENV_REPO = join(REPO_ROOT, 'examples', 'env-repo');

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** Runs git synchronously (test setup only) and returns trimmed stdout. */
export function gitSync(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('git', args, {
    cwd,
    env: { ...GIT_ENV, ...env },
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  }).trim();
}

export function tempDir(prefix = 'gitops-flow-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Reads every file under `dir` into a `{ path: content }` map. */
export function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** The example env repo (the seed's layout) as a file map, with optional overrides. */
export function exampleFiles(overrides: Record<string, string | null> = {}): Record<string, string> {
  const files = filesOf(EXAMPLE_ENV_REPO);
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null) delete files[k];
    else files[k] = v;
  }
  return files;
}

/** Writes the files into `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** A new repo on branch main holding `files` in one commit. */
export function makeRepo(files: Record<string, string>, message = 'initial'): string {
  const dir = tempDir('gitops-flow-repo-');
  gitSync(dir, ['init', '--quiet', '--initial-branch=main']);
  gitSync(dir, ['config', 'user.name', 'Test']);
  gitSync(dir, ['config', 'user.email', 'test@example.com']);
  writeFiles(dir, files);
  gitSync(dir, ['add', '-A']);
  gitSync(dir, ['commit', '--quiet', '-m', message]);
  return dir;
}

/** Commits `files` (null deletes) in an existing work tree. */
export function commitFiles(dir: string, files: Record<string, string | null>, message: string, date?: string): string {
  for (const [path, content] of Object.entries(files)) {
    if (content === null) gitSync(dir, ['rm', '--quiet', path]);
    else writeFiles(dir, { [path]: content });
  }
  gitSync(dir, ['add', '-A']);
  const dates = date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {};
  gitSync(dir, ['commit', '--quiet', '-m', message], dates);
  return gitSync(dir, ['rev-parse', 'HEAD']);
}

export interface PushRecord {
  options: string[];
  updates: { old: string; new: string; ref: string }[];
}

export interface Remote {
  /** Path of the bare repo. */
  dir: string;
  url: string;
  /** Every push the remote accepted or saw, in order. */
  pushes(): PushRecord[];
  /** Rejected non-fast-forward updates counted by the hook. */
  rejections(): number;
}

const HOOK = `#!/bin/sh
# Records push options and ref updates; refuses non-fast-forward updates (no force pushes).
log="$GIT_DIR/push-log"
{
  printf 'push\\n'
  i=0
  while [ "$i" -lt "\${GIT_PUSH_OPTION_COUNT:-0}" ]; do
    eval "printf 'option %s\\\\n' \\"\\$GIT_PUSH_OPTION_$i\\""
    i=$((i + 1))
  done
} >> "$log"
zero=0000000000000000000000000000000000000000
status=0
while read old new ref; do
  printf 'update %s %s %s\\n' "$old" "$new" "$ref" >> "$log"
  if [ "$old" != "$zero" ] && [ "$new" != "$zero" ] && ! git merge-base --is-ancestor "$old" "$new"; then
    echo "rejected" >> "$GIT_DIR/rejections"
    echo "pre-receive: non-fast-forward update of $ref refused" >&2
    status=1
  fi
done
exit $status
`;

/** A bare remote seeded with `files` on main, advertising push options and recording pushes. */
export function makeRemote(files: Record<string, string>): Remote {
  const seed = makeRepo(files);
  const dir = join(tempDir('gitops-flow-remote-'), 'env.git');
  gitSync(dirname(dir), ['clone', '--quiet', '--bare', seed, dir]);
  gitSync(dir, ['config', 'receive.advertisePushOptions', 'true']);
  gitSync(dir, ['config', 'receive.denyNonFastForwards', 'true']);
  writeFileSync(join(dir, 'hooks', 'pre-receive'), HOOK);
  chmodSync(join(dir, 'hooks', 'pre-receive'), 0o755);
  return {
    dir,
    url: `file://${dir}`,
    pushes: () => parsePushLog(join(dir, 'push-log')),
    rejections: () =>
      existsSync(join(dir, 'rejections'))
        ? readFileSync(join(dir, 'rejections'), 'utf8').split('\n').filter(Boolean).length
        : 0,
  };
}

function parsePushLog(file: string): PushRecord[] {
  if (!existsSync(file)) return [];
  const pushes: PushRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === 'push') pushes.push({ options: [], updates: [] });
    else if (line.startsWith('option ')) pushes.at(-1)?.options.push(line.slice(7));
    else if (line.startsWith('update ')) {
      const [old, nu, ref] = line.slice(7).split(' ') as [string, string, string];
      pushes.at(-1)?.updates.push({ old, new: nu, ref });
    }
  }
  return pushes;
}

/** Everything observable about a bare repo: refs and object counts (to prove "unchanged"). */
export function snapshot(bareDir: string): string {
  return `${gitSync(bareDir, ['for-each-ref', '--format=%(refname) %(objectname)'])}\n${gitSync(bareDir, ['count-objects', '-v'])}`;
}

/** A working clone of the remote on main. */
export function cloneRemote(remote: Remote): string {
  const dir = join(tempDir('gitops-flow-clone-'), 'env');
  gitSync(dirname(dir), ['clone', '--quiet', remote.url, dir]);
  gitSync(dir, ['config', 'user.name', 'Release Manager']);
  gitSync(dir, ['config', 'user.email', 'rm@example.com']);
  return dir;
}

/** The example overlay of `env` with the application image at `tag`. */
export function overlayWithTag(env: string, tag: string): string {
  return (exampleFiles()[`kustomizations/overlays/${env}/kustomization.yaml`] as string).replace(
    'newTag: "1.0.0"',
    `newTag: "${tag}"`,
  );
}

/**
 * A remote of the example env repo with one commit per release (`[env, tag, ISO date]`), pushed, and
 * a working clone of it; `commits` are the releases' shas in order.
 */
export function remoteWithReleases(releases: [env: string, tag: string, date: string][]): {
  remote: Remote;
  dir: string;
  commits: string[];
} {
  const remote = makeRemote(exampleFiles());
  const dir = cloneRemote(remote);
  const commits = releases.map(([env, tag, date]) =>
    commitFiles(
      dir,
      { [`kustomizations/overlays/${env}/kustomization.yaml`]: overlayWithTag(env, tag) },
      `${env} ${tag}`,
      date,
    ),
  );
  gitSync(dir, ['push', '--quiet', 'origin', 'main']);
  return { remote, dir, commits };
}
