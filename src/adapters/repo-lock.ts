/**
 * One run at a time per env repo working copy: promote, rollback, restore, unpin and deploy hold
 * `.git/gitops-flow.lock` (created with O_EXCL; pid, hostname, start time) so two local runs never
 * interleave their fetch/commit/reset steps. A second run waits (bounded) and says for whom; a lock
 * left by a dead process on this host is taken over by an atomic rename, then re-checked.
 */

import { existsSync } from 'node:fs';
import { link, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from '../core/duration.js';
import { failed } from '../core/errors.js';
import type { CommandContext } from '../core/io.js';
import { gitContext, gitDir, refNames } from './git.js';

export const LOCK_FILE = 'gitops-flow.lock';
/** How long a second run waits for the first; GITOPS_FLOW_LOCK_WAIT overrides it (e.g. `5m`). */
export const LOCK_WAIT_MS = 60_000;
const POLL_MS = 200;
/** A lock file still empty after this long was left by a process that died between create and write. */
const EMPTY_GRACE_MS = 5_000;

interface Holder {
  pid: number;
  hostname: string;
  started: string;
}

/** What the holder of the lock should know: whether it took the lock over from a run that died. */
export interface RepoLock {
  /** The dead run (`pid … on … (since …)`) whose lock was taken over; its half-done work may be left. */
  tookOverFrom?: string;
}

/** Runs `fn` holding the lock of the working copy at `root`. */
export async function withRepoLock<T>(
  root: string,
  ctx: CommandContext,
  fn: (lock: RepoLock) => Promise<T>,
): Promise<T> {
  const dotGit = await gitDir(gitContext(ctx, root));
  const file = join(dotGit, LOCK_FILE);
  const waitText = ctx.io.env.GITOPS_FLOW_LOCK_WAIT;
  const waitMs = waitText ? parseDuration(waitText, 'GITOPS_FLOW_LOCK_WAIT') : LOCK_WAIT_MS;
  const { mine, tookOverFrom } = await acquireReporting(file, waitMs, ctx);
  try {
    if (tookOverFrom) await removeGitLocks(dotGit, ctx);
    return await fn(tookOverFrom ? { tookOverFrom } : {});
  } finally {
    // Remove it only while it is still ours (a takeover by someone else must not be undone).
    if ((await readFile(file, 'utf8').catch(() => '')) === mine) await unlink(file).catch(() => undefined);
  }
}

/**
 * git's own lock files a run killed mid-command leaves behind (index, HEAD, refs, shallow, config):
 * once we hold the lock of a run that died, a git lock still there after a grace period (a
 * reparented git child of the dead run may be finishing) is that run's, and is removed.
 */
async function removeGitLocks(gitDir: string, ctx: CommandContext): Promise<void> {
  const candidates = [
    'index.lock',
    'HEAD.lock',
    'ORIG_HEAD.lock',
    'FETCH_HEAD.lock',
    'packed-refs.lock',
    'shallow.lock',
    'config.lock',
  ].map((f) => join(gitDir, f));
  const refs = await refNames({ cwd: gitDir, env: ctx.io.env, log: ctx.log });
  candidates.push(...refs.map((r) => join(gitDir, `${r}.lock`)));
  // `git commit -- <paths>` builds its commit in a temporary index of its own.
  candidates.push(
    ...(await readdir(gitDir)).filter((f) => /^next-index-\d+\.lock$/.test(f)).map((f) => join(gitDir, f)),
  );
  const left = candidates.filter((f) => existsSync(f));
  if (left.length === 0) return;
  await new Promise((r) => setTimeout(r, GIT_LOCK_GRACE_MS));
  for (const f of left.filter((x) => existsSync(x))) {
    await rm(f, { force: true });
    ctx.log.info(`Removed ${f}, left by the run that died.`);
  }
}

/** How long a git lock file may take to go away on its own after a takeover. */
const GIT_LOCK_GRACE_MS = 2_000;

async function acquireReporting(
  file: string,
  waitMs: number,
  ctx: CommandContext,
): Promise<{ mine: string; tookOverFrom?: string }> {
  let tookOverFrom: string | undefined;
  const me: Holder = { pid: process.pid, hostname: hostname(), started: new Date().toISOString() };
  const mine = `${JSON.stringify(me)}\n`;
  const deadline = Date.now() + waitMs;
  let announced = false;
  for (;;) {
    try {
      await writeFile(file, mine, { flag: 'wx', mode: 0o644 });
      return { mine, ...(tookOverFrom && { tookOverFrom }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const seen = await readFile(file, 'utf8').catch(() => undefined);
    if (seen === undefined) continue; // released between our create and read: try again at once
    const holder = parseHolder(seen);
    if (await isStale(file, seen, holder)) {
      if (await takeOver(file, seen)) {
        tookOverFrom = describe(holder);
        ctx.log.info(`Took over a stale lock ${file} left by ${tookOverFrom} (no longer running).`);
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw failed(
        'REPO_LOCKED',
        `Another gitops-flow run holds ${file}: ${describe(holder)}; waited ${Math.round(waitMs / 1000)} s.`,
        `Wait for that run to finish and run the command again (or raise GITOPS_FLOW_LOCK_WAIT). If no run is active on ${holder?.hostname ?? 'its host'}, delete ${file}.`,
        [seen.trim()],
      );
    }
    if (!announced) {
      ctx.log.info(`Waiting for ${describe(holder)} to release ${file} (up to ${Math.round(waitMs / 1000)} s)…`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))));
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.hostname === 'string'
      ? { pid: h.pid, hostname: h.hostname, started: String(h.started ?? '') }
      : undefined;
  } catch {
    return undefined;
  }
}

function describe(h: Holder | undefined): string {
  return h ? `pid ${h.pid} on ${h.hostname} (since ${h.started})` : 'a run that has not written its pid yet';
}

/**
 * Dead on this host (or its pid now belongs to a process started after the lock), or never written
 * and old: only then may the lock be taken. Other hosts: never.
 */
async function isStale(file: string, text: string, h: Holder | undefined): Promise<boolean> {
  if (!h) {
    if (text.trim()) return false; // not ours to judge
    const st = await stat(file).catch(() => undefined);
    return st !== undefined && Date.now() - st.mtimeMs > EMPTY_GRACE_MS;
  }
  if (h.hostname !== hostname()) return false;
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  // Alive — but is it the holder? In a CI container a new run often gets the dead one's pid.
  const started = Date.parse(h.started);
  const since = await processStartMs(h.pid);
  return since !== undefined && Number.isFinite(started) && since > started + 2_000;
}

/** When `pid` started (Linux: /proc boot time + start ticks at 100 Hz), or undefined when unknown. */
async function processStartMs(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(ticks) && Number.isFinite(btime) ? btime * 1000 + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Moves the stale lock aside atomically (only one contender's rename succeeds), then re-checks that
 * what was moved is the stale lock it judged; a live lock moved by a lost race is put back (link
 * fails if a new one already exists, which is then the rightful holder).
 */
async function takeOver(file: string, staleText: string): Promise<boolean> {
  const aside = `${file}.stale-${process.pid}-${Date.now()}`;
  try {
    await rename(file, aside);
  } catch {
    return false; // someone else moved or released it
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  const ok = moved === staleText;
  if (!ok) await link(aside, file).catch(() => undefined);
  await rm(aside, { force: true });
  return ok;
}
