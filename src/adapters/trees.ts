/**
 * Trees to read kustomizations from: the working tree (paths confined to the repo, symlinks resolved)
 * or a commit (one `git ls-tree`, blobs from one long-lived `git cat-file --batch`). Both give each
 * file's git blob id, so a render's inputs hash the same whichever tree they come from.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import type { TreeReader } from '../core/kustomize-deps.js';
import { type GitContext, git, gitEnv } from './git.js';

/** A tree that also knows each file's git blob id. */
export interface Tree extends TreeReader {
  /** The git blob id of a file's content (computed for the working tree). */
  blobId(path: string): Promise<string | undefined>;
  /** Stops any helper process. */
  close(): void;
}

/** The git blob id of `text`, as `git hash-object` computes it. */
export function hashBlob(content: Buffer | string): string {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  return createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
}

/** The working tree at `root`; a path that is, or leads through a symlink, outside the repo reads as absent. */
export function worktree(root: string): Tree {
  const realRoot = realpathSync(root);
  const resolved = new Map<string, string | undefined>();
  const inside = (p: string) => {
    if (resolved.has(p)) return resolved.get(p);
    const abs = join(root, p);
    let real: string | undefined;
    if (existsSync(abs)) {
      real = realpathSync(abs);
      const rel = relative(realRoot, real);
      if (rel.startsWith('..') || isAbsolute(rel)) real = undefined;
    }
    resolved.set(p, real);
    return real;
  };
  const ids = new Map<string, string | undefined>();
  const reader: Tree = {
    // Synchronous stats, like inside()'s: status asks ~1,000 of them for 300 envs, and each trip
    // through the thread pool cost more than the stat itself (~0.1 s in all).
    async kind(p) {
      const real = inside(p);
      if (!real) return undefined;
      const s = statSync(real);
      return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
    },
    async read(p) {
      const real = inside(p);
      if (!real || !statSync(real).isFile()) return undefined;
      return readFile(real, 'utf8');
    },
    async list(dir) {
      const real = inside(dir);
      if (!real) return [];
      const out: string[] = [];
      const walk = async (d: string, rel: string) => {
        for (const e of await readdir(d, { withFileTypes: true })) {
          if (e.name === '.git') continue;
          const r = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) await walk(join(d, e.name), r);
          else if (e.isFile()) out.push(r);
        }
      };
      await walk(real, dir === '.' ? '' : dir);
      return out.sort();
    },
    async blobId(p) {
      if (!ids.has(p)) {
        const real = inside(p);
        ids.set(p, real && statSync(real).isFile() ? hashBlob(await readFile(real)) : undefined);
      }
      return ids.get(p);
    },
    close() {},
  };
  return reader;
}

/** The tree of `commit` (every path listed once; contents read on demand through one cat-file process). */
export async function commitTree(commit: string, g: GitContext): Promise<Tree> {
  const listing = await git(['ls-tree', '-r', '-z', '--full-tree', commit], g);
  const files = new Map<string, string>();
  const dirs = new Set<string>(['.']);
  for (const entry of listing.stdout.split('\0')) {
    const m = /^(\d+) blob ([0-9a-f]+)\t(.+)$/s.exec(entry);
    // Symlinks (120000) are not followed: a render from a commit reads regular files only.
    if (!m || m[1] === '120000') continue;
    const path = m[3] as string;
    files.set(path, m[2] as string);
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) dirs.add(path.slice(0, i));
  }
  return fromListing(files, dirs, g);
}

/** A tree from a path → blob id listing (kept current by history's walk). */
export function fromListing(files: Map<string, string>, dirs: Set<string>, g: GitContext): Tree {
  const blobs = new BlobReader(g);
  return {
    async kind(p) {
      return files.has(p) ? 'file' : dirs.has(p) ? 'dir' : undefined;
    },
    async read(p) {
      const id = files.get(p);
      return id === undefined ? undefined : blobs.read(id);
    },
    async list(dir) {
      const prefix = dir === '.' || dir === '' ? '' : `${dir}/`;
      return [...files.keys()].filter((f) => f.startsWith(prefix)).sort();
    },
    async blobId(p) {
      return files.get(p);
    },
    close() {
      blobs.close();
    },
  };
}

/** Blob contents by id through one `git cat-file --batch`, memoized. */
export class BlobReader {
  private child: ChildProcessWithoutNullStreams | undefined;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private queue: { id: string; resolve: (t: string | undefined) => void }[] = [];
  private cache = new Map<string, Promise<string | undefined>>();

  /** `memo: false` for blobs read once each (history's old overlay versions: thousands, not kept). */
  constructor(
    private readonly g: GitContext,
    private readonly memo = true,
  ) {}

  read(id: string): Promise<string | undefined> {
    let p = this.cache.get(id);
    if (!p) {
      p = new Promise((resolve) => {
        this.queue.push({ id, resolve });
        this.start().stdin.write(`${id}\n`);
      });
      if (this.memo) this.cache.set(id, p);
    }
    return p;
  }

  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    this.g.log.debug('$ git cat-file --batch');
    const child = spawn('git', ['cat-file', '--batch'], { cwd: this.g.cwd, env: gitEnv(this.g.env) });
    child.stdout.on('data', (b: Buffer) => {
      this.chunks.push(b);
      this.buffered += b.length;
      this.drain();
    });
    const fail = () => {
      for (const q of this.queue.splice(0)) q.resolve(undefined);
    };
    child.on('error', fail);
    child.on('close', fail);
    this.child = child;
    return child;
  }

  /** Parses whole answers off the front of what arrived (chunks joined only when an answer is complete). */
  private drain(): void {
    for (;;) {
      const head = this.queue[0];
      if (!head || this.buffered === 0) return;
      const first = this.chunks[0] as Buffer;
      let nl = first.indexOf(10);
      let buf = first;
      if (nl < 0) {
        buf = Buffer.concat(this.chunks);
        this.chunks = [buf];
        nl = buf.indexOf(10);
        if (nl < 0) return;
      }
      const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(buf.subarray(0, nl).toString());
      const size = m ? Number(m[2]) : 0;
      const need = m ? nl + 1 + size + 1 : nl + 1;
      if (this.buffered < need) return;
      if (buf.length < need) {
        buf = Buffer.concat(this.chunks);
        this.chunks = [buf];
      }
      const body = m?.[1] === 'blob' ? buf.subarray(nl + 1, nl + 1 + size).toString('utf8') : undefined;
      const rest = buf.subarray(need);
      this.chunks = rest.length > 0 ? [rest, ...this.chunks.slice(1)] : this.chunks.slice(1);
      this.buffered -= need;
      this.queue.shift();
      head.resolve(body);
    }
  }
}

/** `tree` with one file's text replaced (an edit checked before it is written). */
export function withFile(tree: Tree, path: string, text: string): Tree {
  return {
    ...tree,
    kind: async (p) => (p === path ? 'file' : tree.kind(p)),
    read: async (p) => (p === path ? text : tree.read(p)),
    blobId: async (p) => (p === path ? hashBlob(text) : tree.blobId(p)),
    list: (d) => tree.list(d),
    close: () => tree.close(),
  };
}
