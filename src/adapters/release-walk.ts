/**
 * The release record from git, attributed by render: walking the branch's first-parent commits newest
 * first, a commit is a release of every env whose render reads a file it changed (the overlay, a shared
 * base, a component, a patch…), not of the folder it sits in; each release carries the images that
 * env's render runs before and after. The walk keeps one tree listing current (undoing each commit's
 * changes), replays each overlay's changed lines (git's zero-context diffs for large overlays, the
 * old blob compared line by line for small ones) so a tag bump re-reads only its entry, and renders
 * only distinct pre-renders (cached by the blob ids of their inputs).
 */
import { posix } from 'node:path';
import type { Document } from 'yaml';
import type { Environment } from '../core/config.js';
import { GitopsError } from '../core/errors.js';
import { applyEntry, type ContainerImage, splitImage } from '../core/image-transform.js';
import { type Dependencies, dependencies } from '../core/kustomize-deps.js';
import { type OverlayScan, reverseHunks, reverseScan, scanOverlay } from '../core/overlay-text.js';
import { imageReferences } from '../core/rendered-images.js';
import {
  containersFor,
  type ImagesContext,
  imagesFrom,
  renderContainers,
  renderKey,
  renderText,
} from './env-images.js';
import { type GitContext, git } from './git.js';
import { ABSENT, type LogCommit, OverlayDiffs, RawLog } from './git-log-parse.js';
import { type OverlayStep, OverlayVersions, SMALL_OVERLAY } from './overlay-versions.js';
import { BlobReader } from './trees.js';
import { firstParentLength, forgetDirs, fromListingShared, listing, overlayFileIn } from './walk-listing.js';

export interface WalkedRelease {
  log: LogCommit;
  env: string;
  images: Record<string, string>;
  previousImages: Record<string, string>;
  /** The files of the commit the env's render reads. */
  files: string[];
}

interface EnvState {
  env: Environment;
  deps?: Dependencies;
  overlayFile?: string;
  lines?: string[];
  scan?: OverlayScan;
  images: Record<string, string>;
  /** Inputs other than the overlay: path → blob id. */
  inputs: Map<string, string>;
  /** Set when the env cannot be followed further back (its overlay did not exist, or did not render). */
  done?: boolean;
  /** The render key of the current state (recomputed only when the pre-render's inputs change). */
  key?: string;
  /** The pre-render's containers for `key`, and their indexes by image name. */
  containers?: ContainerImage[];
  byName?: Map<string, number[]>;
  /** The entry names of `scan` (distinct, none with a `.`), carried while tag bumps keep them. */
  names?: { scan: OverlayScan; set: Set<string> };
  /** Set by an incremental step: the image names it changed, with their values after and before. */
  delta?: Map<string, [string | undefined, string | undefined]>;
}

/** Releases newest first (at most `limit`), for `envs`, of the first-parent history of `rev`. */
export async function walkReleases(
  p: {
    envs: Environment[];
    rev: string;
    since?: string;
    limit?: number;
    /** Overlays up to this size are stepped back by blob, larger ones by git's diffs (tests set both ways). */
    smallOverlay?: number;
  },
  g: GitContext,
  ctx: ImagesContext,
): Promise<WalkedRelease[]> {
  const head = (
    await git(['rev-parse', '--verify', '--quiet', `${p.rev}^{commit}`], g, { allowFailure: true })
  ).stdout.trim();
  if (!head) return [];
  const files = await listing(head, g);
  // Both logs start before any env is read (their overlay files are found in the listing) and are
  // parsed as git writes them, so reading the envs, git's diffs and the walk overlap.
  const overlays = [
    ...new Set(p.envs.flatMap((e) => overlayFileIn(files, posix.normalize(e.overlay).replace(/\/+$/, '')) ?? [])),
  ];
  let versions: OverlayVersions | undefined;
  let diffs: OverlayDiffs | undefined;
  const log = new RawLog(head, p.since, g, (c) => versions?.request(c));
  const blobs = new BlobReader(g);
  const parsed = new Map<string, Document>();
  try {
    // Their size at HEAD picks how they are stepped back (the texts stay in the reader for stateAt).
    const length = firstParentLength(head, g);
    const texts = await Promise.all(overlays.map((f) => blobs.read(files.get(f) as string)));
    const limit = p.smallOverlay ?? SMALL_OVERLAY;
    const small = new Set(overlays.filter((_, i) => (texts[i] ?? '').length <= limit));
    const diffed = new Set(overlays.filter((f) => !small.has(f)));
    versions = new OverlayVersions(small, g);
    diffs = new OverlayDiffs(head, p.since, [...diffed], g, diffed.size > 0 ? await length : 0);
    // All at once: their blob reads queue up in the one cat-file process instead of taking turns.
    const states = await Promise.all(p.envs.map((env) => stateAt(env, files, blobs, g, parsed, ctx)));
    const readers = readerIndex(states);
    const order = new Map(states.map((s, i) => [s, i]));
    const out: WalkedRelease[] = [];
    for (let commit = await log.next(); commit; commit = await log.next()) {
      const changed = new Map(commit.changes.map((c) => [c.path, c]));
      const touchedEnvs = new Set<EnvState>();
      for (const path of changed.keys()) for (const s of readers.get(path) ?? []) if (!s.done) touchedEnvs.add(s);
      const hunks =
        touchedEnvs.size > 0 && commit.changes.some((c) => diffed.has(c.path))
          ? await (diffs as OverlayDiffs).of(commit.commit)
          : undefined;
      // The tree before this commit (computed once, only when an env needs more than its overlay's diff).
      let before: Map<string, string> | undefined;
      const beforeFiles = () => {
        if (!before) {
          before = new Map(files);
          for (const c of commit.changes) {
            if (ABSENT.test(c.old)) before.delete(c.path);
            else before.set(c.path, c.old);
          }
        }
        return before;
      };
      let restructured = false;
      // The touched envs in config order (not every env per commit: 300 × 5,000 checks cost ~0.1 s).
      const touched = [...touchedEnvs].sort((a, b) => (order.get(a) as number) - (order.get(b) as number));
      for (const s of touched) {
        const after = s.images;
        const paths = [...changed.keys()].filter((f) => s.deps?.files.includes(f));
        const file = s.overlayFile;
        const change = file ? changed.get(file) : undefined;
        const step: OverlayStep = !file
          ? undefined
          : diffed.has(file)
            ? hunks?.get(file)
            : change && s.lines && versions.has(file)
              ? await versions.step(change, s.lines)
              : undefined;
        if (await stepBack(s, commit, step, beforeFiles, blobs, g, parsed, ctx)) restructured = true;
        const images: Record<string, string> = {};
        const previousImages: Record<string, string> = {};
        if (s.delta) {
          // An incremental step changed s.images in place: its delta holds both sides.
          for (const [k, [a, b]] of s.delta) {
            if (a !== undefined) images[k] = a;
            if (b !== undefined) previousImages[k] = b;
          }
        } else {
          for (const k of new Set([...Object.keys(after), ...Object.keys(s.images)])) {
            if (after[k] === s.images[k]) continue;
            if (k in after) images[k] = after[k] as string;
            if (k in s.images) previousImages[k] = s.images[k] as string;
          }
        }
        out.push({ log: commit, env: s.env.name, images, previousImages, files: paths });
        if (p.limit && out.length >= p.limit) return out;
      }
      if (restructured) {
        readers.clear();
        for (const [k, v] of readerIndex(states)) readers.set(k, v);
      }
      for (const c of commit.changes) {
        if (ABSENT.test(c.old)) files.delete(c.path);
        else files.set(c.path, c.old);
      }
      if (commit.changes.length > 0) forgetDirs(files);
      versions.done(commit);
    }
    return out;
  } finally {
    log.close();
    diffs?.close();
    versions?.close();
    blobs.close();
  }
}

/** Which envs read each file. */
function readerIndex(states: EnvState[]): Map<string, EnvState[]> {
  const index = new Map<string, EnvState[]>();
  for (const s of states)
    for (const f of s.deps?.files ?? []) {
      const list = index.get(f);
      if (list) list.push(s);
      else index.set(f, [s]);
    }
  return index;
}

/** An env's state in the tree `files`: what its render reads and the images it runs. */
async function stateAt(
  env: Environment,
  files: Map<string, string>,
  blobs: BlobReader,
  g: GitContext,
  parsed: Map<string, Document>,
  ctx: ImagesContext,
): Promise<EnvState> {
  const s: EnvState = { env, images: {}, inputs: new Map() };
  await resolve(s, files, blobs, parsed);
  if (s.deps) await refresh(s, () => files, blobs, g, ctx, true);
  return s;
}

/** Reads the env's dependencies and overlay text in `files`; marks it done when its overlay is absent. */
async function resolve(s: EnvState, files: Map<string, string>, blobs: BlobReader, parsed: Map<string, Document>) {
  const tree = fromListingShared(files, blobs);
  try {
    // Paths only: the overlay's images are scanned below (scanOverlay), which parses whatever it cannot scan.
    const deps = await dependencies(tree, posix.normalize(s.env.overlay).replace(/\/+$/, ''), parsed, {
      pathsOnly: true,
    });
    const overlay = deps.kustomizations[0];
    if (!overlay) throw new Error('no overlay');
    s.deps = deps;
    s.overlayFile = overlay.file;
    s.lines = overlay.text.split('\n');
    s.scan = scanOverlay(overlay.text, overlay.file);
    s.inputs = new Map(deps.files.filter((f) => f !== overlay.file).map((f) => [f, files.get(f) ?? '-']));
  } catch {
    // Absent or unreadable here: nothing earlier can be attributed to it from this state.
    s.deps = undefined;
    s.done = true;
    s.images = {};
  }
}

/** Computes the env's images from its current overlay scan and inputs (one render per distinct key). */
async function refresh(
  s: EnvState,
  files: () => Map<string, string>,
  blobs: BlobReader,
  g: GitContext,
  ctx: ImagesContext,
  inputsChanged: boolean,
  previous?: OverlayScan,
) {
  s.delta = undefined;
  if (!s.deps || !s.scan || !s.overlayFile || !s.lines) return;
  const scan = s.scan;
  const overlayFile = s.overlayFile;
  const lines = s.lines;
  const text = () => lines.join('\n');
  if (!inputsChanged && s.key && previous && !scan.unmodelled && incremental(s, previous)) return;
  if (inputsChanged || !s.key || scan.unmodelled)
    s.key = renderKey({
      overlayFile,
      overlayText: scan.unmodelled ? text() : '',
      scan,
      inputs: [...s.inputs],
      build: s.env.build,
    });
  const key = s.key;
  const deps = s.deps;
  try {
    const containers = await containersFor(key, ctx, () =>
      renderContainers(
        fromListingShared(files(), blobs),
        deps.files,
        overlayFile,
        renderText(text(), overlayFile, scan),
        { overlay: s.env.overlay, envName: s.env.name, build: s.env.build, remoteResources: s.env.remoteResources },
        ctx,
      ),
    );
    if (s.containers !== containers) {
      const byName = new Map<string, number[]>();
      containers.forEach((c, i) => {
        const name = splitImage(c.image).name;
        byName.set(name, [...(byName.get(name) ?? []), i]);
      });
      s.containers = containers;
      s.byName = byName;
    }
    s.images = imageReferences(imagesFrom(containers, scan));
  } catch (e) {
    if (!(e instanceof GitopsError)) throw e;
    // A state that did not render: shown without images (history is a record, not a gate).
    g.log.debug(`history: ${s.env.name} does not render at a past commit: ${e.message}`);
    s.images = {};
    s.containers = undefined;
  }
}

/**
 * Same pre-render, entries re-read in place: only the images of those entries change. Applies when
 * each re-read entry keeps its name, no entry renames to another's name (no chains) and no name holds a
 * `.` (kustomize's pattern would let it match others); otherwise the caller recomputes everything.
 */
function incremental(s: EnvState, previous: OverlayScan): boolean {
  const scan = s.scan as OverlayScan;
  if (!scan.touched || !s.containers || !s.byName) return false;
  for (const k of scan.touched) if (scan.entries[k]?.name !== previous.entries[k]?.name) return false;
  // The re-read entries keep their names, so the names are the previous scan's: checked once per run
  // of tag bumps, not per commit (300 names × 5,000 commits).
  let names = s.names?.scan === previous ? s.names.set : undefined;
  if (!names) {
    names = new Set(scan.entries.map((e) => e.name));
    if (names.size !== scan.entries.length || [...names].some((n) => n.includes('.'))) return false;
  }
  s.names = { scan, set: names };
  const delta = new Map<string, [string | undefined, string | undefined]>();
  for (const k of scan.touched) {
    const before = scan.entries[k];
    const after = previous.entries[k];
    if (!before || !after || before.name !== after.name) return false;
    for (const n of [before.newName, after.newName]) if (n && names.has(n)) return false;
    const first = (s.byName.get(before.name) ?? [])[0];
    if (first === undefined) continue;
    const value = applyEntry((s.containers[first] as ContainerImage).image, before);
    const was = s.images[before.name];
    if (value !== was) delta.set(before.name, [was, value]);
  }
  for (const [name, [, value]] of delta) s.images[name] = value as string;
  s.delta = delta;
  return true;
}

/** Moves an env's state to before `commit`. */
async function stepBack(
  s: EnvState,
  commit: LogCommit,
  hunks: OverlayStep,
  beforeFiles: () => Map<string, string>,
  blobs: BlobReader,
  g: GitContext,
  parsed: Map<string, Document>,
  ctx: ImagesContext,
): Promise<boolean> {
  s.delta = undefined;
  const overlayChange = commit.changes.find((c) => c.path === s.overlayFile);
  const others = commit.changes.filter((c) => c.path !== s.overlayFile && s.deps?.files.includes(c.path));
  const kustomizations = new Set(s.deps?.kustomizations.map((k) => k.file));
  if (overlayChange && ABSENT.test(overlayChange.old)) {
    s.done = true;
    s.images = {};
    return true;
  }
  let structural = others.some((c) => kustomizations.has(c.path) || ABSENT.test(c.old) || ABSENT.test(c.new));
  let previous: OverlayScan | undefined;
  if (overlayChange && s.lines && s.scan) {
    let oldLines: string[] | undefined;
    let oldScan: OverlayScan | undefined;
    if (Array.isArray(hunks) && hunks.every((h) => h.count > 0 && h.count === h.old.length)) {
      // Lines rewritten one for one (a tag bump): swapped back in place, not a copy of the whole file
      // per commit (1,200 lines × 5,000 commits of garbage); the scan sees the new lines it checks.
      const newAt: string[] = [];
      for (const h of hunks)
        for (let i = 0; i < h.count; i++) {
          newAt[h.start - 1 + i] = s.lines[h.start - 1 + i] as string;
          s.lines[h.start - 1 + i] = h.old[i] as string;
        }
      oldLines = s.lines;
      oldScan = reverseScan(s.scan, newAt, oldLines, hunks);
    } else if (Array.isArray(hunks)) {
      oldLines = reverseHunks(s.lines, hunks);
      oldScan = reverseScan(s.scan, s.lines, oldLines, hunks);
    } else {
      // Not replayable by lines (or not diffed): the old version whole.
      const text = typeof hunks === 'object' ? hunks.text : await blobs.read(overlayChange.old);
      oldLines = (text ?? '').split('\n');
    }
    try {
      oldScan ??= scanOverlay(oldLines.join('\n'), s.overlayFile as string);
    } catch {
      s.done = true;
      s.images = {};
      return true;
    }
    if (oldScan.preHash !== s.scan.preHash || oldScan.unmodelled !== s.scan.unmodelled) structural = true;
    previous = s.scan;
    s.lines = oldLines;
    s.scan = oldScan;
  }
  if (structural) {
    await resolve(s, beforeFiles(), blobs, parsed);
  } else {
    for (const c of others) s.inputs.set(c.path, c.old);
  }
  if (!s.done) await refresh(s, beforeFiles, blobs, g, ctx, structural || others.length > 0, previous);
  return structural;
}
