/**
 * The one description of gitops-flow's command line: every verb's options (and the global ones), as data.
 * The CLI (src/cli/main.ts) declares its commander options from it; the Dagger module (dagger/) generates
 * one function per verb from it (scripts/gen-dagger.ts) and builds each call's argv with it, so a new flag
 * is added here, once. Pure data: it imports only its shape (./verb-spec.ts) and re-exports that and the
 * CI facts a container running the CLI must be handed (./ci-variables.ts); the Dagger module loads these
 * three files as they are (dagger.json's include).
 */

import type { DaggerSpec, OptionSpec, VerbSpec } from './verb-spec.js';

export { CI_VARIABLES } from './ci-variables.js';
export {
  type DaggerSpec,
  daggerName,
  longFlag,
  type OptionSpec,
  type VerbSpec,
} from './verb-spec.js';

const timeout: OptionSpec = { flags: '--timeout <duration>', description: 'how long to wait for workloads, e.g. 5m' };
const noDeploy: OptionSpec = {
  flags: '--no-deploy',
  kind: 'boolean',
  description: 'commit (and push) without deploying',
};
const noFailFast: OptionSpec = {
  flags: '--no-fail-fast',
  kind: 'boolean',
  description: 'wait to the deadline even when a pod cannot become ready (crash loop, image pull, …)',
};
const jsonEvents: OptionSpec = {
  flags: '--json-events',
  kind: 'boolean',
  description: 'report verification as one JSON event per line on stderr',
};
const noPush: OptionSpec = { flags: '--no-push', kind: 'boolean', description: 'commit and deploy without pushing' };
const allowUnused: OptionSpec = {
  flags: '--allow-unused',
  kind: 'boolean',
  description: "set an image even when no workload of the env's render runs it (as set)",
};
const includeShared: OptionSpec = {
  flags: '--include-shared',
  kind: 'boolean',
  description: 'also change files other environments read (they are listed; refused without this)',
};

/** Options every command takes, before the verb (as in git). */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { flags: '-C, --repo-dir <dir>', description: 'env repo working copy', dagger: false },
  { flags: '--json', kind: 'boolean', description: 'machine-readable output on stdout', dagger: false },
  { flags: '--verbose', kind: 'boolean', description: 'show every command run, with secrets scrubbed' },
  {
    flags: '--dry-run',
    kind: 'boolean',
    description: 'change nothing: no commit, no push; applies are server dry-runs',
  },
];

export const VERBS = {
  suggest: {
    description: 'set images in an env overlay of a remote env repo and push a merge request branch',
    options: [
      {
        flags: '--env-repo <url>',
        required: true,
        description: 'clone URL of the env repository (token in GITOPS_FLOW_GIT_TOKEN)',
        dagger: { description: 'Clone URL of the env repository (token: the gitToken argument).' },
      },
      { flags: '--env <env>', required: true, description: 'environment whose overlay gets the images' },
      {
        flags: '--image <name=ref>',
        kind: 'list',
        required: true,
        description: 'image to set, as kustomize edit set image takes it (repeatable)',
        dagger: {
          name: 'images',
          description: 'Images as kustomize edit set image takes them, e.g. app=registry.example.com/team/app:1.4.2.',
        },
      },
      {
        flags: '--target-branch <branch>',
        description: 'branch the merge request targets (default: git.targetBranch, main)',
      },
      {
        flags: '--push-to-target',
        kind: 'boolean',
        description: 'commit straight to the target branch instead of a merge request branch',
      },
      { flags: '--force', kind: 'boolean', description: 'suggest into a pinned environment (and unpin it)' },
      allowUnused,
      {
        flags: '--pin-digest',
        kind: 'boolean',
        description:
          'resolve each tag to its manifest digest in the registry and write both (docker config.json credentials)',
      },
      {
        flags: '--merge-request <mode>',
        choices: ['push-options', 'api'],
        description:
          'open the merge request with GitLab push options or the forge API (default: git.mergeRequest.mode; GitHub: api)',
      },
      { flags: '--upstream-project <path>', description: 'default $CI_PROJECT_PATH' },
      { flags: '--upstream-commit <sha>', description: 'default $CI_COMMIT_SHA' },
      { flags: '--upstream-ref <ref>', description: 'default $CI_COMMIT_REF_NAME' },
      { flags: '--upstream-pipeline <id>', description: 'default $CI_PIPELINE_ID' },
      { flags: '--upstream-pipeline-url <url>', description: 'default $CI_PIPELINE_URL' },
      { flags: '--upstream-message <text>', description: 'default $CI_COMMIT_MESSAGE' },
    ],
    dagger: {
      description:
        'Set images in an env overlay of a remote env repo and push a merge-request branch with GitLab push options; returns the result as JSON.',
      returns: 'stdout',
      sideEffects: true,
      json: true,
      clones: true,
      dryRun: true,
    },
  },
  render: {
    description: 'render an environment with the pinned kustomize',
    options: [
      { flags: '--env <env>', required: true, description: 'environment' },
      { flags: '--ref <ref>', description: 'render the overlay as it was at this commit (default: the working tree)' },
      {
        flags: '--out <file>',
        description: 'write the manifest to this file (inside the repo) instead of stdout',
        dagger: false,
      },
    ],
    dagger: {
      description: 'Render an environment with the pinned kustomize; returns the manifest.',
      returns: 'stdout',
      sideEffects: false,
    },
  },
  deploy: {
    description: 'render, server-side apply, verify every object, prune; restore the last good render on failure',
    options: [
      { flags: '--env <env>', required: true, description: 'environment' },
      { flags: '--ref <ref>', description: 'commit to deploy (default HEAD)' },
      { flags: '--timeout <duration>', description: 'how long to wait for workloads, e.g. 5m (default: config, 5m)' },
      {
        flags: '--out <file>',
        description: 'where to keep the rendered manifest (default .gitops-flow/rendered/<env>.yaml)',
        dagger: false,
      },
      {
        flags: '--last-good <ref>',
        description: 'commit re-applied when the rollout fails (default: the parent of --ref)',
      },
      noFailFast,
      jsonEvents,
    ],
    dagger: {
      description:
        'Render, server-side apply, verify every object and prune; restore the last good render on failure. Returns the repo with the rendered manifest, deploy.env and the verification record.',
      returns: 'repo',
      nests: true,
      sideEffects: true,
      dryRun: true,
    },
  },
  promote: {
    description: 'copy images from one environment to the next, deploy, verify, push',
    options: [
      { flags: '--from <env>', required: true, description: 'source environment' },
      { flags: '--to <env>', required: true, description: 'target environment' },
      {
        flags: '--image <name>',
        kind: 'list',
        description: 'promote only this image name (repeatable; default all)',
        dagger: { name: 'images', description: 'Promote only these image names (default: all).' },
      },
      noDeploy,
      noPush,
      timeout,
      { flags: '--force', kind: 'boolean', description: 'promote into a pinned environment (and unpin it)' },
      allowUnused,
      includeShared,
      noFailFast,
      jsonEvents,
    ],
    dagger: {
      description:
        'Copy images from one environment to the next, commit, deploy, verify, push. Returns the changed repo.',
      returns: 'repo',
      nests: true,
      sideEffects: true,
      dryRun: true,
    },
  },
  status: {
    description: 'what runs where, since when, verified or pending, and drift against the clusters',
    options: [{ flags: '--no-cluster', kind: 'boolean', description: 'do not contact the clusters (no drift check)' }],
    dagger: {
      description: 'What runs where, since when, verified or pending, and drift against the clusters (JSON).',
      returns: 'stdout',
      // It only reads, but what it reads (clusters, remotes) changes under it.
      sideEffects: true,
      json: true,
    },
  },
  history: {
    description: 'every release, newest first (from git)',
    options: [
      { flags: '--env <env>', description: 'only this environment' },
      {
        flags: '--since <time>',
        description: 'only releases after this time (e.g. 2026-10-01T12:00Z, "2 weeks ago")',
      },
      { flags: '--limit <n>', kind: 'int', description: 'at most n releases' },
    ],
    dagger: {
      description: 'Every release, newest first, from git (JSON).',
      returns: 'stdout',
      sideEffects: false,
      json: true,
    },
  },
  rollback: {
    description: "put an env's overlay back to its previous release (or --to), deploy, verify, push, and pin it",
    options: [
      { flags: '--env <env>', required: true, description: 'environment' },
      { flags: '--to <ref>', description: 'commit whose overlay to bring back (default: before the last release)' },
      { flags: '--reason <text>', description: 'why, recorded in the pin' },
      includeShared,
      noDeploy,
      noPush,
      timeout,
    ],
    dagger: {
      description:
        "Put an environment's overlay back to its previous release (or --to) as a new commit, deploy, verify, push, and pin it. Returns the changed repo.",
      returns: 'repo',
      nests: true,
      sideEffects: true,
      dryRun: true,
    },
  },
  restore: {
    description: 'disaster recovery: re-apply an env as git had it at a commit or time, and record it',
    options: [
      { flags: '--env <env>', description: 'environment' },
      { flags: '--all-envs', kind: 'boolean', description: 'every environment, in promotion order' },
      {
        flags: '--at <ref-or-time>',
        required: true,
        description: 'a commit, or an ISO-8601 time (the last commit at or before it)',
      },
      { flags: '--no-deploy', kind: 'boolean', description: 'only record the state in git' },
      includeShared,
      noPush,
      timeout,
    ],
    dagger: {
      description:
        'Disaster recovery: re-apply an environment exactly as git had it at a commit or time, and record it as a commit. Returns the changed repo.',
      returns: 'repo',
      nests: true,
      sideEffects: true,
      dryRun: true,
    },
  },
  unpin: {
    description: 'release the pin a rollback put on an environment',
    options: [
      { flags: '--env <env>', required: true, description: 'environment' },
      { flags: '--no-push', kind: 'boolean', description: 'commit without pushing' },
    ],
    dagger: {
      description: 'Release the pin a rollback put on an environment. Returns the changed repo.',
      returns: 'repo',
      nests: true,
      sideEffects: true,
      dryRun: true,
    },
  },
  diff: {
    description: 'rendered diff of an env between two commits (images first), or against the cluster',
    options: [
      { flags: '--env <env>', required: true, description: 'environment' },
      { flags: '--from <ref>', description: 'older state (default: before the last change of the overlay)' },
      { flags: '--to <ref>', description: 'newer state (default HEAD)' },
      {
        flags: '--cluster',
        kind: 'boolean',
        description: 'diff the render of --to against the live cluster (kubectl diff --server-side)',
        dagger: {
          name: 'live',
          description: 'Diff the render of --to against the live cluster (kubectl diff --server-side).',
        },
      },
      {
        flags: '--exit-code',
        kind: 'boolean',
        description: 'exit 1 when there are differences, like git diff --exit-code',
        dagger: false,
      },
    ],
    dagger: {
      description:
        'Rendered diff of an environment between two commits (images first), or against the live cluster (--live).',
      returns: 'stdout',
      // --live reads a cluster that changes under it.
      sideEffects: true,
    },
  },
  init: {
    description: 'scaffold an env repo: base Deployment + HPA, an overlay per env, gitops-flow.yaml, .gitlab-ci.yml',
    options: [
      {
        flags: '--envs <list>',
        default: 'dev,uat,prod',
        description: 'environments in promotion order, comma-separated',
      },
      {
        flags: '--app <name>',
        default: 'my-app',
        description: 'application name: Deployment, HPA and namespaces <app>-<env>',
      },
      {
        flags: '--image <ref>',
        description: 'image every overlay starts with (default registry.example.com/team/<app>:0.1.0)',
      },
      { flags: '--force', kind: 'boolean', description: 'overwrite files that already exist' },
    ],
  },
  doctor: {
    description: 'check the pinned tools, the env repo config and cluster access',
    options: [],
    dagger: {
      description:
        "Check the toolbox's tools against ci/tools.json, the env repo's config and cluster access (JSON; a failed check is in the report, not an error).",
      returns: 'stdout',
      sideEffects: true,
      json: true,
      anyExitCode: true,
    },
  },
  completion: {
    description: 'print a shell completion script (e.g. source <(gitops-flow completion bash))',
    arguments: [{ name: 'shell', description: 'bash, zsh or fish', choices: ['bash', 'zsh', 'fish'] }],
    options: [],
  },
  run: {
    description: 'run a pipeline of gitops-flow.yaml (--dry-run prints the plan and runs nothing)',
    arguments: [{ name: 'pipeline', description: 'pipeline name (gitops-flow pipelines list)' }],
    options: [
      {
        flags: '--input <name=value>',
        kind: 'list',
        description: 'an input of the pipeline (repeatable)',
        dagger: { name: 'inputs', description: 'Inputs of the pipeline, each name=value.' },
      },
      {
        flags: '--env <env>',
        description: "the environment that environment.* reads (default: the pipeline's environment:)",
      },
    ],
    dagger: {
      description:
        "Run a pipeline of the env repo's gitops-flow.yaml: its run: steps execute inside the pinned toolbox (or, with image:, in their own container), so a laptop and CI run the same commands in the same image. Returns the repo.",
      returns: 'repo',
      nests: true,
      sideEffects: true,
      dryRun: true,
    },
  },
  'pipelines show': {
    description: 'a pipeline as YAML; a verb with the hooks of gitops-flow.yaml in place',
    arguments: [{ name: 'name', description: 'a pipeline or a verb (promote, deploy, …)' }],
    options: [{ flags: '--env <env>', description: 'include the hooks of this environment' }],
  },
} as const satisfies Record<string, VerbSpec>;

export type Verb = keyof typeof VERBS;

/** The verbs the Dagger module exposes, each a function. */
export type DaggerVerb = { [V in Verb]: (typeof VERBS)[V] extends { dagger: DaggerSpec } ? V : never }[Verb];
