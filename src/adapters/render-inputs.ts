/**
 * What a render may read, checked before kustomize runs: walking the overlay's kustomizations (bases,
 * components, patches, generator files…), every local path must stay inside the tree (the one
 * confinement rule: `../` or a committed link that leads out is PATH_OUTSIDE_REPO), and no remote
 * resource is fetched unless the environment names it (`remoteResources:`), so a render depends on the
 * commit alone and a CI job never fetches a URL an env repo chose.
 */
import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { checkYamlBounds, MAX_YAML_BYTES } from '../core/bounds.js';
import { invalid, quote } from '../core/errors.js';
import { KUSTOMIZATION_FILES } from '../core/kustomization.js';
import { isRemoteReference, type Kustomization, kustomizationPaths } from '../core/kustomize-refs.js';
import { confine, readRepoFile } from './repo.js';

const isDirectory = (p: string) => {
  try {
    return statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    return false;
  }
};

/** Keys whose entries are plugin configs (a builtin generator's or transformer's own fields name files). */
const PLUGIN_KEYS = ['generators', 'transformers', 'validators'];

const exists = (p: string) => {
  try {
    return lstatSync(p, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
};

/**
 * Every symlink under `rel` (a directory of the tree) held to the one rule; a link to a directory
 * inside the tree is walked too (helm follows it), each real directory once.
 */
function linksIn(tree: string, rel: string, what: string, seen = new Set<string>()): void {
  const real = realpathSync(join(tree, rel));
  if (seen.has(real)) return;
  seen.add(real);
  for (const e of readdirSync(join(tree, rel), { withFileTypes: true })) {
    const child = join(rel, e.name);
    if (e.isSymbolicLink()) {
      confine(tree, child, what);
      if (isDirectory(join(tree, child))) linksIn(tree, child, what, seen);
    } else if (e.isDirectory()) linksIn(tree, child, what, seen);
  }
}

/** Throws exit 2 when the render of `overlay` in `tree` would read outside it or fetch a remote resource. */
export async function checkRenderInputs(tree: string, overlay: string, allowedRemote: string[] = []): Promise<void> {
  const seen = new Set<string>();
  /** A path named in `fileRel` (in directory `rel`): absolute ones are refused like `../` out of the tree. */
  const local = (rel: string, fileRel: string, p: string) =>
    confine(tree, isAbsolute(p) ? p : join(rel, p), `${fileRel}: ${p}`);
  /**
   * A plugin config (inline, or a file): its fields (`files`, `envs`, `path`, `valuesFile`, …) are read
   * by kustomize relative to the kustomization, and with `build.loadRestrictor: LoadRestrictionsNone`
   * from anywhere. Its fields vary by kind, so every string in it that names an existing path is held
   * to the rule (a value naming nothing is no read).
   */
  const checkPluginConfig = (rel: string, fileRel: string, text: string) => {
    const strings = (v: unknown, out: string[] = []): string[] => {
      if (typeof v === 'string') out.push(v, v.slice(v.indexOf('=') + 1));
      else if (Array.isArray(v)) for (const x of v) strings(x, out);
      else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
      return out;
    };
    checkYamlBounds(text, fileRel, 'KUSTOMIZATION_INVALID');
    for (const doc of parseAllDocuments(text)) {
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: 100 });
      } catch {
        continue; // kustomize reports the syntax error itself
      }
      for (const p of strings(value)) {
        if (p === '' || p.includes('\n') || p.length > 4096) continue;
        if (exists(isAbsolute(p) ? p : join(tree, rel, p))) local(rel, fileRel, p);
      }
    }
  };
  const visit = async (rel: string, plugins = false): Promise<void> => {
    const abs = confine(tree, rel, 'kustomization directory');
    if (seen.has(`${plugins}:${abs}`)) return;
    seen.add(`${plugins}:${abs}`);
    const name = KUSTOMIZATION_FILES.find((f) => lstatSync(join(abs, f), { throwIfNoEntry: false }));
    if (!name) return;
    const fileRel = join(rel, name);
    const text = await readRepoFile(tree, fileRel, 'kustomization', MAX_YAML_BYTES, 'KUSTOMIZATION_INVALID');
    checkYamlBounds(text ?? '', fileRel, 'KUSTOMIZATION_INVALID');
    let k: Kustomization;
    try {
      k = (parse(text ?? '', { maxAliasCount: 100 }) ?? {}) as Kustomization;
    } catch {
      return; // kustomize reports the syntax error itself
    }
    if (k === null || typeof k !== 'object') return;
    const paths = kustomizationPaths(k);
    for (const r of paths.remote) {
      if (allowedRemote.includes(r)) continue;
      throw invalid(
        'REMOTE_RESOURCE_REFUSED',
        `${fileRel} names the remote resource ${quote(r)}; renders read only the env repo's commit.`,
        "Vendor the resource into the env repo, or allow this exact entry in the environment's remoteResources: in gitops-flow.yaml.",
        r,
      );
    }
    for (const p of paths.local) {
      const resolved = local(rel, fileRel, p);
      if (isDirectory(resolved)) await visit(relative(tree, resolved));
    }
    // helm (--enable-helm) reads whole chart directories and follows the links in them: a chart file
    // linked out of the repo would be rendered (.Files.Get). The chart home (default charts/) is walked.
    if (Array.isArray(k.helmCharts) && k.helmCharts.length > 0) {
      const globals = (k.helmGlobals ?? {}) as { chartHome?: unknown };
      const home = typeof globals.chartHome === 'string' ? globals.chartHome : 'charts';
      const dir = local(rel, fileRel, home);
      if (isDirectory(dir)) linksIn(tree, relative(tree, dir), `${fileRel}: helm chart file`);
    }
    // Plugin configs, inline or in files (in a kustomization that `generators:` names, its resources too).
    const configs = [...PLUGIN_KEYS, ...(plugins ? ['resources'] : [])].flatMap((key) =>
      Array.isArray(k[key]) ? (k[key] as unknown[]).filter((v): v is string => typeof v === 'string') : [],
    );
    for (const c of configs) {
      if (c.includes('\n')) {
        checkPluginConfig(rel, fileRel, c);
        continue;
      }
      if (isRemoteReference(c)) continue; // refused above unless allowed
      const resolved = local(rel, fileRel, c);
      if (isDirectory(resolved)) await visit(relative(tree, resolved), true);
      else {
        const cText = await readRepoFile(
          tree,
          relative(tree, resolved),
          'plugin config',
          MAX_YAML_BYTES,
          'KUSTOMIZATION_INVALID',
        );
        if (cText !== undefined) checkPluginConfig(rel, relative(tree, resolved), cText);
      }
    }
  };
  await visit(overlay);
}
