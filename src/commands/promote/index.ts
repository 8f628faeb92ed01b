/**
 * `promote --from <a> --to <b>`: copy a's images into b's overlay, commit, deploy and verify b, then
 * push — replaying the change on the new tip when someone pushed first, never force-pushing.
 */
import { commit, git, type GitContext, revParse } from '../../adapters/git.js';
import { type Environment, getEnvironment, type ResolvedConfig } from '../../core/config.js';
import { invalid, quote } from '../../core/errors.js';
import { imageMap, type KustomizeImage } from '../../core/kustomization.js';
import { runSteps, type Step } from '../../core/steps.js';
import { parseDuration } from '../../core/duration.js';
import { releaseMessage } from '../../core/trailers.js';
import { type CommandContext, gitContext, loadConfig, repoDir } from '../context.js';
import { overlayFile, readOverlayImages, setOverlayImages } from '../shared/overlay.js';
import { identity, pushWithReplay } from '../shared/publish.js';
import { deployManifest, renderEnv, renderPath } from '../shared/release.js';
import { syncWithRemote } from './sync.js';

export interface PromoteOptions {
  repoDir?: string;
  from: string;
  to: string;
  /** Only these image names (default: every image of the source overlay). */
  images?: string[];
  deploy?: boolean;
  push?: boolean;
  timeout?: string;
}

export interface PromoteResult {
  from: string;
  to: string;
  images: Record<string, string>;
  commit: string;
  changed: boolean;
  deployed: boolean;
  pushed: boolean;
  pushAttempts: number;
}

interface State {
  root: string;
  g: GitContext;
  config: ResolvedConfig;
  from: Environment;
  to: Environment;
  hasRemote: boolean;
  images: KustomizeImage[];
  message?: string;
  changed: boolean;
  deployedManifest?: string;
  result: PromoteResult;
}

export async function promote(o: PromoteOptions, ctx: CommandContext): Promise<PromoteResult> {
  const root = repoDir(ctx, o.repoDir);
  const timeoutMs = o.timeout ? parseDuration(o.timeout, '--timeout') : undefined;
  const config = await loadConfig(root);
  const from = getEnvironment(config, o.from);
  const to = getEnvironment(config, o.to);
  if (from.name === to.name) throw invalid('PROMOTE_SAME_ENV', `Cannot promote ${quote(from.name)} to itself.`, 'Pass two different environments.');
  if (to.promoteFrom && !to.promoteFrom.includes(from.name)) {
    throw invalid('PROMOTE_NOT_ALLOWED', `${to.name} may not be promoted from ${from.name}.`,
      to.promoteFrom.length ? `Promote ${to.name} from ${to.promoteFrom.join(' or ')}, or add ${from.name} to environments.${to.name}.promoteFrom in gitops-flow.yaml.`
        : `${to.name} is first in the promotion order; it receives images through suggest.`, `${from.name} → ${to.name}`);
  }
  const g = gitContext(ctx, root);
  const s: State = {
    root, g, config, from, to, images: [], changed: false,
    hasRemote: (await git(['remote'], g)).stdout.split('\n').includes('origin'),
    result: { from: from.name, to: to.name, images: {}, commit: '', changed: false, deployed: false, pushed: false, pushAttempts: 0 },
  };
  const deployWanted = o.deploy !== false;
  const pushWanted = o.push !== false;
  const steps: Step<State>[] = [
    { name: 'git/sync', run: async () => (s.hasRemote && pushWanted ? (await syncWithRemote(config.targetBranch, g), 'succeeded') : 'skipped') },
    { name: 'images/copy', run: async () => {
      s.images = await selectImages(await readOverlayImages(root, from), o.images, from.name);
      s.result.images = imageMap(s.images);
      s.changed = await setOverlayImages(root, to, s.images);
      return s.changed ? 'succeeded' : 'skipped';
    } },
    { name: 'git/commit', run: async () => {
      if (!s.changed) return 'skipped';
      const fromCommit = (await revParse('HEAD', g)) ?? '';
      s.message = releaseMessage({ action: 'promote', env: to.name, fromEnv: from.name, fromCommit, images: s.result.images });
      const author = await identity(config, g);
      await commit({ paths: [overlayFile(root, to).rel], message: s.message, ...(author && { author }) }, g);
      return 'succeeded';
    } },
    { name: 'deploy', run: async () => {
      if (!deployWanted || !(s.changed || (await unpushed(s)))) return 'skipped';
      await deployHead(s, ctx, timeoutMs);
      s.result.deployed = !ctx.opts.dryRun;
      return 'succeeded';
    } },
    { name: 'git/push', run: async () => {
      if (!pushWanted || !s.hasRemote || !(await unpushed(s))) return 'skipped';
      const r = await pushWithReplay({
        branch: config.targetBranch,
        onRetry: (n, why) => ctx.log.info(`  push rejected (${why.trim()}); replaying on the new tip, attempt ${n + 1}`),
        replay: async () => {
          if (!(await setOverlayImages(root, to, s.images))) return false;
          const author = await identity(config, g);
          await commit({ paths: [overlayFile(root, to).rel], message: s.message as string, ...(author && { author }) }, g);
          if (deployWanted && (await renderEnv({ root, env: to, ref: 'HEAD' }, ctx)) !== s.deployedManifest) await deployHead(s, ctx, timeoutMs);
          return true;
        },
      }, g);
      s.result.pushAttempts = r.attempts;
      s.result.pushed = r.landed && !ctx.opts.dryRun;
      return r.landed ? 'succeeded' : 'skipped';
    } },
  ];
  const before = await revParse('HEAD', g);
  try {
    await runSteps(steps, s, ctx.log);
  } catch (e) {
    // Nothing half-written: a promotion that did not land leaves no local commit behind.
    if (before && !s.result.pushed) await git(['reset', '--quiet', '--keep', before], g, { mutates: true, allowFailure: true });
    throw e;
  } finally {
    if (ctx.opts.dryRun) await git(['checkout', '--quiet', 'HEAD', '--', overlayFile(root, to).rel], { ...g, dryRun: false }, { allowFailure: true });
  }
  s.result.changed = s.changed;
  s.result.commit = (await revParse('HEAD', g)) ?? '';
  ctx.log.info(s.changed || s.result.pushed
    ? `Promoted ${from.name} → ${to.name}: ${Object.entries(s.result.images).map(([k, v]) => `${k}=${v}`).join(', ')}${s.result.deployed ? ', verified' : ''}${s.result.pushed ? ', pushed' : ''}.`
    : `No change: ${to.name} already has ${from.name}'s images.`);
  return s.result;
}

/** The source images to copy; `only` names a subset, each of which must exist. */
function selectImages(all: KustomizeImage[], only: string[] | undefined, env: string): KustomizeImage[] {
  if (all.length === 0) throw invalid('NOTHING_TO_PROMOTE', `The overlay of ${env} sets no images.`, `Set images in ${env} first (suggest, or kustomize edit set image).`, env);
  if (!only || only.length === 0) return all;
  const missing = only.filter((n) => !all.some((i) => i.name === n));
  if (missing.length > 0) {
    throw invalid('IMAGE_NOT_IN_SOURCE', `${env} has no image named ${missing.map((m) => quote(m)).join(', ')}.`, `Use one of: ${all.map((i) => i.name).join(', ')}.`, missing.join(','));
  }
  return all.filter((i) => only.includes(i.name));
}

/** Are there local commits the remote target branch does not have? */
async function unpushed(s: State): Promise<boolean> {
  if (!s.hasRemote) return false;
  const remote = await revParse(`refs/remotes/origin/${s.config.targetBranch}`, s.g);
  if (!remote) return true;
  const r = await git(['rev-list', '--count', `${remote}..HEAD`], s.g);
  return Number(r.stdout.trim()) > 0;
}

/** Deploys the target env at HEAD; the last good state is the remote tip's render (before our commits). */
async function deployHead(s: State, ctx: CommandContext, timeoutMs: number | undefined): Promise<void> {
  // In dry-run nothing is committed, so the working tree holds the change.
  const manifest = await renderEnv({ root: s.root, env: s.to, ...(!ctx.opts.dryRun && { ref: 'HEAD' }) }, ctx);
  const goodRef = (s.hasRemote && (await revParse(`refs/remotes/origin/${s.config.targetBranch}`, s.g))) || (await revParse('HEAD^', s.g));
  const lastGood = goodRef ? { ref: goodRef, manifest: await renderEnv({ root: s.root, env: s.to, ref: goodRef }, ctx) } : undefined;
  await deployManifest({ root: s.root, env: s.to, manifest, manifestPath: renderPath(s.root, s.to.name), timeoutMs: timeoutMs ?? s.to.timeoutMs, ...(lastGood && { lastGood }) }, ctx);
  s.deployedManifest = manifest;
}
