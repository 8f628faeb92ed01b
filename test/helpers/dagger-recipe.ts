/**
 * Reading a recorded Dagger recipe (test/helpers/dagger-recorder.ts): every step of a chain and of the
 * chains its arguments carry, where secrets go, and a replay on the host of the steps that build the
 * gitops-flow CLI, so the build context a recipe hands the build is shown to be enough for it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Chain, Step } from './dagger-recorder.js';
import { REPO_ROOT, tempDir } from './git-fixtures.js';

export function isChain(v: unknown): v is Chain {
  return Array.isArray(v) && v.length > 0 && v.every((s) => s && typeof s === 'object' && 'field' in s && 'args' in s);
}

/** Every step of a chain and, depth first, of the chains in its arguments (with the step holding each). */
export function allSteps(
  chain: Chain,
  parent?: { step: Step; arg: string },
): { step: Step; in?: { step: Step; arg: string } }[] {
  const out: { step: Step; in?: { step: Step; arg: string } }[] = [];
  for (const step of chain) {
    out.push({ step, ...(parent && { in: parent }) });
    for (const [arg, v] of Object.entries(step.args)) {
      for (const c of Array.isArray(v) && !isChain(v) ? v : [v])
        if (isChain(c)) out.push(...allSteps(c, { step, arg }));
    }
  }
  return out;
}

/** The steps named `field`, anywhere in the recipe. */
export const stepsNamed = (chain: Chain, field: string): Step[] =>
  allSteps(chain)
    .map((s) => s.step)
    .filter((s) => s.field === field);

/**
 * Where each secret (a chain starting at `secret`) is handed over: `withSecretVariable(secret:)` and
 * `withMountedSecret(source:)` keep it a secret; anything else (an env value, a file's contents, a label,
 * a command argument, `plaintext`) is a leak and is returned as `step.arg`.
 */
export function secretMisuses(chain: Chain): string[] {
  const bad: string[] = [];
  const visit = (c: Chain) => {
    if (c[0]?.field === 'secret' && c.length > 1) bad.push(`secret.${c[1]?.field}`);
    for (const step of c) {
      for (const [arg, v] of Object.entries(step.args)) {
        for (const x of Array.isArray(v) && !isChain(v) ? v : [v]) {
          if (!isChain(x)) continue;
          const ok =
            (step.field === 'withSecretVariable' && arg === 'secret') ||
            (step.field === 'withMountedSecret' && arg === 'source');
          if (x[0]?.field === 'secret' && !ok) bad.push(`${step.field}.${arg}`);
          visit(x);
        }
      }
    }
  };
  visit(chain);
  return bad;
}

// A path matches a plain pattern (dir, dir/**, **/dir, file): the only kinds the module's filters use.
function matches(path: string, pattern: string): boolean {
  const anywhere = pattern.startsWith('**/');
  const p = pattern.replace(/^\*\*\//, '').replace(/\/\*\*$/, '');
  if (/[*?[]/.test(p))
    throw new Error(`replay: pattern ${pattern} is not a plain path; teach test/helpers/dagger-recipe.ts its meaning`);
  const under = (q: string) => q === p || q.startsWith(`${p}/`);
  if (!anywhere) return under(path);
  const parts = path.split('/');
  return parts.some((_, i) => under(parts.slice(i).join('/')));
}

/** Copies the files of `from` that pass the filters into `to` (Dagger's include, then exclude). */
function copyFiltered(from: string, to: string, o: { include?: string[]; exclude?: string[] }): void {
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const abs = join(dir, name);
      const rel = relative(from, abs);
      if (o.exclude?.some((e) => matches(rel, e))) continue;
      if (statSync(abs).isDirectory()) {
        walk(abs);
        continue;
      }
      if (o.include && !o.include.some((i) => matches(rel, i))) continue;
      mkdirSync(dirname(join(to, rel)), { recursive: true });
      cpSync(abs, join(to, rel));
    }
  };
  walk(from);
}

/** The host directory a chain names (`host.directory(path)`), with the engine's `ignore` of that argument. */
function hostDirectory(c: unknown): string | undefined {
  return isChain(c) && c[0]?.field === 'host' && c[1]?.field === 'directory' && c.length === 2
    ? (c[1].args.path as string)
    : undefined;
}

/**
 * Replays a container chain on the host, in a temp dir standing for the container's root: files and
 * directories from the host are copied with their filters (and `ignore`, the filter the engine applies to
 * the module's `source` argument), execs run in the workdir. Base images, caches and env are not
 * replayed; `npm ci` links this repository's node_modules (installed from the same lockfile) rather than
 * downloading it again. Returns the root.
 */
export function replay(chain: Chain, ignore: string[]): string {
  const root = tempDir('gitops-flow-replay-');
  let workdir = '/';
  const at = (p: string) => join(root, p.startsWith('/') ? p : join(workdir, p));
  for (const step of chain) {
    const a = step.args;
    if (step.field === 'container' || step.field === 'from' || step.field === 'withMountedCache') continue;
    if (step.field === 'withEnvVariable') continue;
    if (step.field === 'withWorkdir') {
      workdir = a.path as string;
      mkdirSync(at(workdir), { recursive: true });
    } else if (step.field === 'withFile') {
      const src = a.source as Chain;
      const dir = hostDirectory(src.slice(0, 2));
      if (!dir || src[2]?.field !== 'file' || src.length !== 3)
        throw new Error(`replay: file from ${JSON.stringify(src)}`);
      mkdirSync(dirname(at(a.path as string)), { recursive: true });
      cpSync(join(dir, src[2].args.path as string), at(a.path as string));
    } else if (step.field === 'withDirectory') {
      const dir = hostDirectory(a.source);
      if (!dir) throw new Error(`replay: directory from ${JSON.stringify(a.source)}`);
      copyFiltered(dir, at(a.path as string), {
        include: a.include as string[] | undefined,
        exclude: [...ignore, ...((a.exclude as string[] | undefined) ?? [])],
      });
    } else if (step.field === 'withExec') {
      const [cmd, ...args] = a.args as string[];
      if (cmd === 'npm' && args[0] === 'ci') {
        if (!existsSync(join(at(workdir), 'node_modules')))
          symlinkSync(join(REPO_ROOT, 'node_modules'), join(at(workdir), 'node_modules'));
        continue;
      }
      if (cmd === 'npm' && args[0] === 'prune') continue;
      execFileSync(cmd as string, args, { cwd: at(workdir), stdio: 'pipe', env: { PATH: process.env.PATH } });
    } else {
      throw new Error(`replay: no replay for ${step.field}`);
    }
  }
  return root;
}

/** The files a directory chain keeps of a replayed root: `directory().withDirectory('.', <root path>, {include})`. */
export function replayInclude(
  root: string,
  path: string,
  include: string[],
  to: string = tempDir('gitops-flow-ship-'),
): string {
  copyFiltered(join(root, path), to, { include, exclude: ['node_modules'] });
  return to;
}
