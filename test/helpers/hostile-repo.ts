/**
 * Env repos an attacker would commit: the example env repo plus symlinks (`{ path: target }`) that
 * lead out of it, as a working copy or a bare remote (the remote records pushes like makeRemote's).
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exampleFiles, gitSync, makeRemote, makeRepo, type Remote } from './git-fixtures.js';

/** Replaces (or adds) each path with a symlink to its target and commits them. */
export function commitLinks(dir: string, links: Record<string, string>): void {
  for (const [path, target] of Object.entries(links)) {
    gitSync(dir, ['rm', '-r', '--quiet', '--ignore-unmatch', '--', path]);
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    symlinkSync(target, join(dir, path));
  }
  // -f: the example ignores .gitops-flow/, an attacker's commit need not.
  gitSync(dir, ['add', '-A', '-f']);
  gitSync(dir, ['commit', '--quiet', '-m', 'links']);
}

/** A working copy of the example env repo (with `files` overrides) whose `links` are committed symlinks. */
export function hostileRepo(links: Record<string, string>, files: Record<string, string | null> = {}): string {
  const dir = makeRepo(exampleFiles(files));
  commitLinks(dir, links);
  return dir;
}

/** A bare remote whose main holds the example env repo and the committed `links`. */
export function hostileRemote(links: Record<string, string>): Remote {
  const remote = makeRemote(exampleFiles());
  const work = join(dirname(remote.dir), 'work');
  gitSync(dirname(remote.dir), ['clone', '--quiet', remote.dir, work]);
  gitSync(work, ['config', 'user.name', 'Attacker']);
  gitSync(work, ['config', 'user.email', 'attacker@example.com']);
  commitLinks(work, links);
  gitSync(work, ['push', '--quiet', 'origin', 'main']);
  return remote;
}
