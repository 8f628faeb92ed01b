/**
 * The built-in verbs as pipelines, in the format of gitops-flow.yaml: the one source of truth for the
 * order of their steps (the verbs run exactly these, through the engine) and what `pipelines show
 * <verb>` prints. Hooks attach `before:`/`after:` any of these step names.
 */
import type { PipelineDef } from './pipeline-schema.js';
import type { Verb } from './verbs.js';

export { HOOK_VERBS, type HookVerb, PIPELINE_PREFIX, VERBS, type Verb } from './verbs.js';

const RELEASE_INPUTS = { env: { description: 'environment released', required: true } };

/**
 * The tail every release verb shares: deploy, push, record — and, last, put the cluster back if any
 * step (or hook) failed before the push landed (after it, git has the release and the cluster stays).
 */
const DEPLOY_AND_PUSH = [
  { uses: 'git/commit' },
  { uses: 'deploy' },
  { uses: 'git/push' },
  { uses: 'record/verified' },
  { uses: 'restore-last-good', if: '${{ failure() }}' },
];

export const DEFAULT_PIPELINES: Record<Verb, PipelineDef> = {
  suggest: {
    description: 'set images in an env overlay of a remote env repo and push a merge request branch',
    inputs: {
      env: RELEASE_INPUTS.env,
      images: { description: 'name=ref, comma-separated', required: true },
      'push-to-target': {
        description: 'commit straight to the target branch instead of a merge request branch',
        default: false,
      },
    },
    steps: [
      { uses: 'git/clone' },
      { uses: 'images/pin-digest' },
      { uses: 'images/set' },
      { uses: 'git/commit' },
      { uses: 'merge-request/open', if: '${{ !inputs.push-to-target }}' },
      { uses: 'git/push', if: '${{ inputs.push-to-target }}' },
    ],
  },
  deploy: {
    description: 'render, server-side apply, verify every object, prune; restore the last good render on failure',
    inputs: { env: RELEASE_INPUTS.env, ref: { description: 'commit to deploy', default: 'HEAD' } },
    steps: [
      { uses: 'render' },
      { uses: 'deploy' },
      { uses: 'record/verified' },
      { uses: 'restore-last-good', if: '${{ failure() }}' },
    ],
  },
  promote: {
    description: 'copy images from one environment to the next, deploy, verify, push',
    inputs: {
      from: { description: 'source environment', required: true },
      to: { description: 'target environment', required: true },
    },
    steps: [{ uses: 'git/sync' }, { uses: 'images/copy' }, ...DEPLOY_AND_PUSH],
  },
  rollback: {
    description: "put an env's overlay back to its previous release, deploy, verify, push, and pin it",
    inputs: RELEASE_INPUTS,
    steps: [{ uses: 'git/sync' }, { uses: 'overlay/rollback' }, ...DEPLOY_AND_PUSH],
  },
  restore: {
    description: 're-apply an env as git had it at a commit or time, and record it',
    inputs: RELEASE_INPUTS,
    steps: [{ uses: 'git/sync' }, { uses: 'overlay/restore' }, ...DEPLOY_AND_PUSH],
  },
  unpin: {
    description: 'release the pin a rollback put on an environment',
    inputs: RELEASE_INPUTS,
    steps: [{ uses: 'git/sync' }, { uses: 'pin/remove' }, ...DEPLOY_AND_PUSH],
  },
};

/** Hook anchors that name a phase inside a step: `verify` is the end of `deploy` (apply, then verify). */
export const ANCHOR_ALIASES: Record<string, string> = { verify: 'deploy' };

/** The step names a hook of `verb` may attach to. */
export function anchorsOf(verb: Verb): string[] {
  const names = DEFAULT_PIPELINES[verb].steps.map((s) => s.uses as string);
  return [
    ...new Set([...names, ...Object.keys(ANCHOR_ALIASES).filter((a) => names.includes(ANCHOR_ALIASES[a] as string))]),
  ];
}
