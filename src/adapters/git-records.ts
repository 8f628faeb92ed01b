/**
 * A git command's output as `\x1e`-separated records, read while git is still writing: history walks
 * each commit as soon as it arrives instead of after the whole log (over 5,000 commits the walk and
 * git's diffs then run side by side on two cores). The process starts at once and is killed when the
 * reader stops early (`history --limit`, `diff`'s last release).
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { type GitContext, gitEnv } from './git.js';

export class GitRecords {
  private readonly child: ChildProcessByStdio<null, Readable, null>;
  private records: string[] = [];
  private head = 0;
  private tail = '';
  private seenFirst = false;
  private ended = false;
  private waiting: (() => void) | undefined;

  /** Starts `git args`; what precedes the first separator is dropped (as `split('\x1e').slice(1)` would). */
  constructor(args: string[], g: GitContext) {
    g.log.debug(`$ git ${args.join(' ')}`);
    this.child = spawn('git', args, { cwd: g.cwd, env: gitEnv(g.env), stdio: ['ignore', 'pipe', 'ignore'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (text: string) => {
      const parts = (this.tail + text).split('\x1e');
      this.tail = parts.pop() ?? '';
      this.push(parts);
    });
    const end = (code: number | null) => {
      if (this.ended) return;
      // A log that failed (a bad revision) has no last record; what it printed before is kept.
      if (code === 0) this.push([this.tail]);
      this.tail = '';
      this.ended = true;
      this.wake();
    };
    this.child.on('close', end);
    this.child.on('error', () => end(null));
  }

  /** The next whole record, or undefined once git has finished. */
  async next(): Promise<string | undefined> {
    while (this.head >= this.records.length && !this.ended) {
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
    return this.tryNext();
  }

  /** The next whole record if git has already written it, without waiting (a reader looking ahead). */
  tryNext(): string | undefined {
    if (this.head >= this.records.length) return undefined;
    const record = this.records[this.head++] as string;
    if (this.head > 1024) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    return record;
  }

  /** Stops git if it is still writing. */
  close(): void {
    if (!this.ended) this.child.kill();
  }

  private push(parts: string[]): void {
    for (const p of parts) {
      if (!this.seenFirst) {
        this.seenFirst = true;
        continue;
      }
      this.records.push(p);
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }
}
