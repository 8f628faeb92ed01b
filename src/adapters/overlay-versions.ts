/**
 * The earlier versions of small overlay files, for history's walk: read by blob id through their own
 * `git cat-file --batch`, requested as the raw log arrives, instead of asking git for `log -p`. Git's
 * diffs cost it a diff per commit (0.2 CPU-s for 5,000 commits of 300 overlays), while reading 5,000
 * small blobs costs 0.01 s; the walk compares the few lines itself. Large overlays (a 300-image list)
 * keep git's zero-context diffs: there a copy of the whole file per commit would cost more than git.
 */
import type { Hunk } from '../core/overlay-text.js';
import type { GitContext } from './git.js';
import { ABSENT, type LogCommit, type RawChange } from './git-log-parse.js';
import { BlobReader } from './trees.js';

/** Overlay files up to this size (UTF-16 units at HEAD) are read by blob rather than diffed by git. */
export const SMALL_OVERLAY = 4096;

/** How the walk steps an overlay back: git's hunks, the old version's text, or read it (undefined). */
export type OverlayStep = Hunk[] | 'opaque' | { text: string } | undefined;

export class OverlayVersions {
  private readonly blobs: BlobReader;
  private readonly pending = new Map<RawChange, Promise<string | undefined>>();

  /** `paths`: the overlay files read this way (the others are left to git's diffs). */
  constructor(
    private readonly paths: Set<string>,
    g: GitContext,
  ) {
    this.blobs = new BlobReader(g, false);
  }

  /** Requests the old versions a commit's changes of `paths` will need (called as the log is parsed). */
  request(commit: LogCommit): void {
    if (this.paths.size === 0) return;
    for (const c of commit.changes)
      if (this.paths.has(c.path) && !ABSENT.test(c.old)) this.pending.set(c, this.blobs.read(c.old));
  }

  /** Whether `path`'s versions come from here. */
  has(path: string): boolean {
    return this.paths.has(path);
  }

  /**
   * How to step `lines` (the file after `change`) back to before it: hunks when the line count is the
   * same (each run of changed lines, swapped in place by the walk), else the old text to read whole.
   */
  async step(change: RawChange, lines: string[]): Promise<OverlayStep> {
    const p = this.pending.get(change);
    if (!p) return undefined;
    const text = (await p) ?? '';
    const old = text.split('\n');
    if (old.length !== lines.length) return { text };
    const hunks: Hunk[] = [];
    let run: Hunk | undefined;
    for (let i = 0; i < old.length; i++) {
      if (old[i] === lines[i]) {
        run = undefined;
      } else if (run) {
        run.count++;
        run.old.push(old[i] as string);
      } else {
        run = { start: i + 1, count: 1, old: [old[i] as string] };
        hunks.push(run);
      }
    }
    return hunks;
  }

  /** Forgets a walked commit's requests (those no env needed). */
  done(commit: LogCommit): void {
    for (const c of commit.changes) this.pending.delete(c);
  }

  close(): void {
    this.blobs.close();
  }
}
