/**
 * The built-in steps: stable names with documented inputs and outputs, registered in one place. The
 * verbs' default pipelines (./verb-pipelines.ts) are made of them; `standalone` ones may also be used with
 * `uses:` in a pipeline of gitops-flow.yaml. The others change the state of one verb's run (its clone,
 * its commit) and exist only inside that verb, where hooks attach before or after them.
 */

export const VERBS = ['suggest', 'deploy', 'promote', 'rollback', 'restore', 'unpin'] as const;
export type Verb = (typeof VERBS)[number];
/** Verbs that take hooks: all but suggest, which runs in a fresh clone of a repo it has not read yet. */
export const HOOK_VERBS = ['deploy', 'promote', 'rollback', 'restore', 'unpin'] as const;
export type HookVerb = (typeof HOOK_VERBS)[number];

export interface InputSpec {
  description: string;
  required?: boolean;
  default?: string;
}

export interface BuiltinStep {
  name: string;
  summary: string;
  inputs: Record<string, InputSpec>;
  outputs: Record<string, string>;
  /** Usable with `uses:` in a pipeline of gitops-flow.yaml. */
  standalone: boolean;
}

const ENV = { description: 'environment', required: true };
const DEPLOY_OPTS = {
  deploy: { description: "'false': commit (and push) without deploying", default: 'true' },
  push: { description: "'false': commit and deploy without pushing", default: 'true' },
  timeout: { description: "how long to wait for workloads, e.g. 5m (default: the environment's verify.timeout)" },
};
const RELEASE_OUT = {
  commit: 'the commit at HEAD afterwards',
  changed: "'true' when a commit was made",
  pushed: "'true' when it landed on the remote",
};

const LIST: BuiltinStep[] = [
  {
    name: 'git/clone',
    summary: 'shallow-clone the env repo at the target branch (suggest)',
    inputs: {},
    outputs: {},
    standalone: false,
  },
  {
    name: 'git/sync',
    summary: 'fast-forward the working copy to the remote target branch',
    inputs: {},
    outputs: {},
    standalone: false,
  },
  {
    name: 'images/pin-digest',
    summary: 'resolve image tags to digests in the registry, with --pin-digest (suggest)',
    inputs: {},
    outputs: {},
    standalone: false,
  },
  {
    name: 'images/set',
    summary: 'set the images in the overlay, as kustomize edit set image does (suggest)',
    inputs: {},
    outputs: {},
    standalone: false,
  },
  {
    name: 'images/copy',
    summary: "set the source env's (verified) images in the target overlay (promote)",
    inputs: {},
    outputs: {},
    standalone: false,
  },
  {
    name: 'overlay/rollback',
    summary: 'bring the overlay back to an earlier release and pin the env (rollback)',
    inputs: {},
    outputs: {},
    standalone: false,
  },
  {
    name: 'overlay/restore',
    summary: 'bring the overlay and what it references back as git had it (restore)',
    inputs: {},
    outputs: {},
    standalone: false,
  },
  {
    name: 'pin/remove',
    summary: 'remove the pin a rollback put on the env (unpin)',
    inputs: {},
    outputs: {},
    standalone: false,
  },
  {
    name: 'git/commit',
    summary: 'commit the change with the release trailers',
    inputs: {},
    outputs: { commit: 'the new commit' },
    standalone: false,
  },
  {
    name: 'render',
    summary: 'render the overlay with the pinned kustomize and keep the manifest',
    inputs: { env: ENV, ref: { description: 'commit to render', default: 'HEAD' } },
    outputs: { manifest: 'path of the rendered manifest' },
    standalone: true,
  },
  {
    name: 'deploy',
    summary: 'server-side apply the render and verify every workload; a failed rollout re-applies the last good render',
    inputs: { env: ENV, ref: { description: 'commit to deploy', default: 'HEAD' }, timeout: DEPLOY_OPTS.timeout },
    outputs: {
      commit: 'the commit deployed',
      manifest: 'path of the rendered manifest',
      workloads: 'the workloads verified, comma-separated',
    },
    standalone: true,
  },
  {
    name: 'restore-last-good',
    summary: 'after a later step failed, re-apply the render that was live before this run deployed, and verify it',
    inputs: {},
    outputs: { restored: "'true' when something was re-applied", ref: 'the commit re-applied' },
    standalone: true,
  },
  {
    name: 'git/push',
    summary: 'push to the target branch, replaying the change on a newer tip (never force)',
    inputs: {},
    outputs: { pushed: "'true' when it landed", attempts: 'number of push attempts' },
    standalone: false,
  },
  {
    name: 'merge-request/open',
    summary: 'push a branch with GitLab push options that open a merge request (suggest)',
    inputs: {},
    outputs: { branch: 'the branch pushed' },
    standalone: false,
  },
  {
    name: 'record/verified',
    summary: 'record the verified images of the env in git notes',
    inputs: {},
    outputs: {},
    standalone: false,
  },
  {
    name: 'promote',
    summary: 'the promote verb as one step: copy images, commit, deploy, verify, push',
    inputs: {
      from: ENV,
      to: ENV,
      images: { description: 'only these image names, comma-separated' },
      ...DEPLOY_OPTS,
      force: { description: "'true': promote into a pinned env", default: 'false' },
    },
    outputs: RELEASE_OUT,
    standalone: true,
  },
  {
    name: 'rollback',
    summary: 'the rollback verb as one step',
    inputs: {
      env: ENV,
      to: { description: 'commit whose overlay to bring back' },
      reason: { description: 'recorded in the pin' },
      ...DEPLOY_OPTS,
    },
    outputs: RELEASE_OUT,
    standalone: true,
  },
];

export const BUILTINS: ReadonlyMap<string, BuiltinStep> = new Map(LIST.map((b) => [b.name, b]));

/** `uses: pipeline/<name>` runs another pipeline of gitops-flow.yaml, `with:` being its inputs. */
export const PIPELINE_PREFIX = 'pipeline/';
