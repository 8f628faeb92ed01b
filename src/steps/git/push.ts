/**
 * `git/push`: lands the change on the target branch without ever force-pushing. When someone pushed
 * first: fetch the new tip, replay the edit on it (re-checking it still applies), commit, redeploy when
 * the render changed, and retry with backoff.
 */
import { isAbsolute, relative } from 'node:path';
import { aheadOfRemote, type GitContext, push, resetToRemote, revParse } from '../../adapters/git.js';
import { changedSince } from '../../adapters/git-history.js';
import { PIN_FILE } from '../../adapters/pin-file.js';
import { failed, GitopsError, quote } from '../../core/errors.js';
import type { ReleaseContext, RunState, Step } from '../types.js';
import { commitChange } from './commit.js';

/**
 * 20 writers at once on one branch needed up to 8 attempts (test/integration/concurrent-writers.test.ts,
 * 10 trials: 6–8); 12 leaves margin and bounds the wait at about 21 s of backoff in all.
 */
export const PUSH_ATTEMPTS = 12;

/**
 * Pushes HEAD to `branch`. On a rejection: resets to the new remote tip and calls `replay`, which
 * re-applies the change and commits it (returning false when the tip already has it), then retries.
 */
export async function pushWithReplay(
  p: {
    branch: string;
    depth?: number;
    replay: () => Promise<boolean>;
    onRetry?: (attempt: number, why: string) => void;
  },
  g: GitContext,
): Promise<{ attempts: number; landed: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const r = await push({ remote: 'origin', refspec: `HEAD:refs/heads/${p.branch}` }, g);
    if (r.ok) return { attempts: attempt, landed: true };
    if (r.reason !== 'rejected') {
      throw failed(
        'PUSH_FAILED',
        `git push to ${p.branch} failed.`,
        'Check the remote URL, your access token (GITOPS_FLOW_GIT_TOKEN) and branch protection.',
        r.stderr.split('\n').slice(-8),
      );
    }
    if (attempt >= PUSH_ATTEMPTS) {
      throw failed(
        'PUSH_REJECTED',
        `git push to ${p.branch} was rejected ${attempt} times: others keep pushing first.`,
        'Run the command again; nothing was force-pushed.',
        r.stderr.split('\n').slice(-5),
      );
    }
    p.onRetry?.(
      attempt,
      r.stderr
        .split('\n')
        .find((l) => /rejected|fetch first|non-fast-forward|incorrect old value|cannot lock ref/.test(l)) ?? 'rejected',
    );
    await sleep(backoffMs(attempt));
    const base = await revParse(`refs/remotes/origin/${p.branch}`, g);
    await resetToRemote(p.branch, g, p.depth);
    let again: boolean;
    try {
      again = await p.replay();
    } catch (e) {
      throw await replayConflict(e, { branch: p.branch, base }, g);
    }
    if (!again) return { attempts: attempt, landed: false };
  }
}

/**
 * The edit was valid on the tip it was made on, but not on the tip someone else pushed since (its
 * overlay deleted or rewritten, its env pinned): a real conflict, exit 1, naming the file. Failures of
 * the operation itself (a rollout, the cluster) pass through unchanged.
 */
async function replayConflict(
  e: unknown,
  p: { branch: string; base: string | undefined },
  g: GitContext,
): Promise<unknown> {
  const errno = e as NodeJS.ErrnoException;
  const value =
    e instanceof GitopsError
      ? e.exitCode === 2
        ? (e.value ?? '')
        : undefined
      : errno?.code === 'ENOENT'
        ? (errno.path ?? '')
        : undefined;
  if (value === undefined) return e;
  const since = p.base ? await changedSince(p.base, g) : [];
  const changed = since.map((l) => l.split('\t')[1] ?? '');
  // The file at fault: the one the error names, or the changed file inside the folder it names.
  const named = isAbsolute(value) ? relative(g.cwd, value) : value;
  const pinned =
    e instanceof GitopsError && e.code === 'ENV_PINNED' ? changed.find((f) => f.endsWith(`/${PIN_FILE}`)) : undefined;
  const file =
    pinned ??
    changed.find((f) => f === named) ??
    changed.find((f) => named.includes('/') && f.startsWith(`${named}/`)) ??
    (named.includes('/') ? named : (changed[0] ?? named));
  return new GitopsError({
    code: 'REPLAY_CONFLICT',
    exitCode: 1,
    value: file,
    message: `${p.branch} changed while this ran, and the change no longer applies to it: ${quote(file)}.`,
    remediation: `See what was pushed (git log -p origin/${p.branch} -- ${file}), settle it, then run the command again; nothing was pushed.`,
    details: [
      e instanceof Error ? e.message : String(e),
      ...(since.length ? [`pushed to ${p.branch} meanwhile:`, ...since.map((l) => `  ${l.replace('\t', ' ')}`)] : []),
    ],
    cause: e,
  });
}

/** Exponential backoff with full jitter, capped: 100 ms, 200 ms, 400 ms … ≤ 3 s. */
export function backoffMs(attempt: number, random = Math.random): number {
  const cap = Math.min(3000, 100 * 2 ** (attempt - 1));
  return Math.round(cap / 2 + random() * (cap / 2));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The change again, on the newer tip `pushWithReplay` reset to — the verb's edit steps, the commit, and
 * the deploy step (which deploys again only when the render changed): false when the tip already has it.
 */
async function replay(rc: ReleaseContext, state: RunState): Promise<boolean> {
  // What the run reports is the first edit's change, not the replay's.
  const changed = rc.result.changed;
  for (const edit of rc.edits) await edit.run?.(rc, state);
  rc.result.changed = changed;
  if (rc.change.paths.length === 0) return false;
  await commitChange(rc);
  rc.replaying = true;
  try {
    await rc.steps.get('deploy')?.run?.(rc, state);
  } finally {
    rc.replaying = false;
  }
  return true;
}

export const gitPush: Step = {
  name: 'git/push',
  summary: 'push to the target branch, replaying the change on a newer tip (never force)',
  inputs: {},
  outputs: { pushed: "'true' when it landed", attempts: 'number of push attempts' },
  async run(rc, state) {
    // A fresh clone (suggest) pushes its change, also in a dry run where nothing was committed.
    const due = rc.options.freshClone
      ? rc.result.changed
      : rc.options.push && rc.remote && (await aheadOfRemote(rc.branch, rc.git));
    if (!due) return 'skipped';
    const r = await pushWithReplay(
      {
        branch: rc.branch,
        ...(rc.options.depth && { depth: rc.options.depth }),
        onRetry: (n, why) =>
          rc.cmd.log.info(`  push rejected (${why.trim()}); replaying on the new tip, attempt ${n + 1}`),
        replay: () => replay(rc, state),
      },
      rc.git,
    );
    rc.result.landed = r.landed;
    rc.result.pushAttempts = r.attempts;
    rc.result.pushed = r.landed && !rc.cmd.opts.dryRun;
    return {
      result: r.landed ? 'succeeded' : 'skipped',
      outputs: { pushed: String(rc.result.pushed), attempts: String(r.attempts) },
    };
  },
};
