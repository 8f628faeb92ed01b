/**
 * gitops-flow as Dagger functions: a pinned toolbox and one function per verb, each running the same
 * gitops-flow CLI inside the toolbox, so `dagger call promote --from dev --to uat …` does what CI does.
 *
 * The argv of every function comes from ./argv.ts (pure; the contract tests run it through the real CLI).
 * No Dagger engine runs on the development machines: this module is verified by type checks and the
 * contract tests (test/unit/dagger-contract.test.ts, test/integration/dagger-argv.test.ts), not executed.
 */
import {
  argument,
  type Container,
  type Directory,
  func,
  object,
  ReturnType,
  type Secret,
  type Service,
} from '@dagger.io/dagger';
import { cloneArgv, REPO_DIR, verbArgv } from './argv.js';
import { toolbox } from './toolbox.js';

/** Where secrets are mounted: files readable by the CLI, never environment values. */
const KUBECONFIG_PATH = '/run/secrets/kubeconfig';
const DOCKER_CONFIG_DIR = '/run/secrets/docker';
const GCP_KEY_PATH = '/run/secrets/gcp-key.json';

/** The env repo: a working copy, or a URL cloned at a branch inside the toolbox. */
interface EnvRepo {
  repo?: Directory;
  repoUrl?: string;
  branch: string;
}

/** The env repo (none for suggest, which clones it itself) and the credentials one function call uses. */
interface Inputs {
  envRepo?: EnvRepo;
  /** Secret variables for the `secrets:` that run: steps declare: names[i] gets values[i]. */
  stepSecrets?: { names: string[]; values: Secret[] };
  kubeconfig?: Secret;
  gitToken?: Secret;
  dockerConfig?: Secret;
  gcpKey?: Secret;
  cluster?: Service;
}

/** A value that differs on every call: side effects must run again, not come from the engine's cache. */
function invocationId(): string {
  return `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

@object()
export class GitopsFlow {
  /** The gitops-flow source the toolbox is built from. */
  source: Directory;

  constructor(
    /**
     * The gitops-flow repository to build the toolbox from. Defaults to this module's own repository
     * (defaultPath resolves there, never to your working directory: pass your env repo as --repo).
     */
    @argument({ defaultPath: '/', ignore: ['node_modules', 'dist', '.git', '.gitops-flow', '.gitlab-ci-local'] })
    source: Directory,
  ) {
    this.source = source;
  }

  /** The pinned toolbox: git, kubectl, kustomize, gcloud with gke-gcloud-auth-plugin (ci/tools.json) and the gitops-flow CLI. */
  @func()
  async toolbox(): Promise<Container> {
    return toolbox(this.source);
  }

  /** Render an environment with the pinned kustomize; returns the manifest. */
  @func({ cache: 'session' })
  async render(
    /** Environment: an overlay under kustomizations/overlays/. */
    env: string,
    /** The env repo working copy (--repo .). */
    repo?: Directory,
    /** Or the env repo's clone URL (CI); a private repo needs --git-token. */
    repoUrl?: string,
    /** Branch to clone with --repo-url. */
    branch = 'main',
    /** Render the overlay as it was at this commit. */
    ref?: string,
    /** Token that may read the env repo (env://GITOPS_FLOW_GIT_TOKEN). */
    gitToken?: Secret,
  ): Promise<string> {
    const argv = verbArgv('render', { env, ref }, { repoDir: REPO_DIR });
    return (await this.runCli({ envRepo: { repo, repoUrl, branch }, gitToken }, argv, false)).stdout();
  }

  /** Set images in an env overlay of a remote env repo and push a merge-request branch with GitLab push options; returns the result as JSON. */
  @func({ cache: 'never' })
  async suggest(
    /** Clone URL of the env repo. */
    envRepo: string,
    /** Environment whose overlay gets the images. */
    env: string,
    /** Images as `kustomize edit set image` takes them, e.g. application-image=registry.example.com/team/app:1.4.2. */
    images: string[],
    /** Token that may push to the env repo (env://GITOPS_FLOW_GIT_TOKEN). */
    gitToken: Secret,
    /** Branch the merge request targets (default: the env repo's git.targetBranch). */
    targetBranch?: string,
    /** Commit straight to the target branch instead of opening a merge request. */
    pushToTarget = false,
    /** `api` opens the merge request through the forge's REST API (gitToken then needs GitLab's api scope); `push-options`, GitLab's default. */
    mergeRequest?: string,
    /** Upstream project path for the commit trailers (in CI: $CI_PROJECT_PATH). */
    upstreamProject?: string,
    /** Upstream commit (in CI: $CI_COMMIT_SHA). */
    upstreamCommit?: string,
    /** Upstream ref (in CI: $CI_COMMIT_REF_NAME). */
    upstreamRef?: string,
    /** Upstream pipeline id (in CI: $CI_PIPELINE_ID). */
    upstreamPipeline?: string,
    /** Upstream pipeline URL (in CI: $CI_PIPELINE_URL). */
    upstreamPipelineUrl?: string,
    /** Upstream commit message (in CI: $CI_COMMIT_MESSAGE). */
    upstreamMessage?: string,
    /** Resolve each tag to its manifest digest in the registry and write newTag and digest. */
    pinDigest = false,
    /** Registry credentials for --pin-digest: a docker config.json (file://$HOME/.docker/config.json; auths only, no credential helpers in the toolbox). */
    dockerConfig?: Secret,
    /** Change nothing: show what would be pushed. */
    dryRun = false,
  ): Promise<string> {
    const argv = verbArgv(
      'suggest',
      {
        envRepo,
        env,
        images,
        targetBranch,
        pushToTarget,
        mergeRequest,
        upstreamProject,
        upstreamCommit,
        upstreamRef,
        upstreamPipeline,
        upstreamPipelineUrl,
        upstreamMessage,
        pinDigest,
      },
      { dryRun },
    );
    return (await this.runCli({ gitToken, dockerConfig }, argv, true)).stdout();
  }

  /** Render, server-side apply, wait for every workload; restore the last good render on failure. Returns the repo with the rendered manifest and the verification record. */
  @func({ cache: 'never' })
  async deploy(
    /** Environment to deploy. */
    env: string,
    /** The env repo working copy (--repo .). */
    repo?: Directory,
    /** Or the env repo's clone URL (CI). */
    repoUrl?: string,
    /** Branch to clone with --repo-url. */
    branch = 'main',
    /** Commit to deploy (default HEAD). */
    ref?: string,
    /** How long to wait for workloads, e.g. 5m. */
    timeout?: string,
    /** Commit re-applied when the rollout fails (default: the parent of --ref). */
    lastGood?: string,
    /** kubeconfig with the environment's context (file://$HOME/.kube/config); mounted as a file. */
    kubeconfig?: Secret,
    /** Token that may push the verification record (env://GITOPS_FLOW_GIT_TOKEN). */
    gitToken?: Secret,
    /** GCP service-account key for GKE environments (file://key.json); mounted as a file. */
    gcpKey?: Secret,
    /** A cluster reachable as a service (e.g. a local control plane), bound as host `cluster`. */
    cluster?: Service,
    /** Server-side dry run: apply nothing, record nothing. */
    dryRun = false,
  ): Promise<Directory> {
    const argv = verbArgv('deploy', { env, ref, timeout, lastGood }, { repoDir: REPO_DIR, dryRun });
    return (
      await this.runCli({ envRepo: { repo, repoUrl, branch }, kubeconfig, gitToken, gcpKey, cluster }, argv, true)
    ).directory(REPO_DIR);
  }

  /** Copy images from one environment to the next, commit, deploy, verify, push. Returns the changed repo (export it). */
  @func({ cache: 'never' })
  async promote(
    /** Source environment. */
    from: string,
    /** Target environment. */
    to: string,
    /** The env repo working copy (--repo .). */
    repo?: Directory,
    /** Or the env repo's clone URL (CI). */
    repoUrl?: string,
    /** Branch to clone with --repo-url. */
    branch = 'main',
    /** Promote only these image names (default: all). */
    images: string[] = [],
    /** Commit (and push) without deploying. */
    noDeploy = false,
    /** Commit and deploy without pushing. */
    noPush = false,
    /** How long to wait for workloads, e.g. 5m. */
    timeout?: string,
    /** Promote into a pinned environment (and unpin it). */
    force = false,
    /** kubeconfig with the target environment's context (file://$HOME/.kube/config). */
    kubeconfig?: Secret,
    /** Token that may push to the env repo (env://GITOPS_FLOW_GIT_TOKEN). */
    gitToken?: Secret,
    /** GCP service-account key for GKE environments (file://key.json). */
    gcpKey?: Secret,
    /** A cluster reachable as a service, bound as host `cluster`. */
    cluster?: Service,
    /** Change nothing: no commit, no push; applies are server dry-runs. */
    dryRun = false,
  ): Promise<Directory> {
    const argv = verbArgv(
      'promote',
      { from, to, images, noDeploy, noPush, timeout, force },
      { repoDir: REPO_DIR, dryRun },
    );
    return (
      await this.runCli({ envRepo: { repo, repoUrl, branch }, kubeconfig, gitToken, gcpKey, cluster }, argv, true)
    ).directory(REPO_DIR);
  }

  /** Put an environment's overlay back to its previous release (or --to) as a new commit, deploy, verify, push, and pin it. Returns the changed repo. */
  @func({ cache: 'never' })
  async rollback(
    /** Environment to roll back. */
    env: string,
    /** The env repo working copy (--repo .). */
    repo?: Directory,
    /** Or the env repo's clone URL (CI). */
    repoUrl?: string,
    /** Branch to clone with --repo-url. */
    branch = 'main',
    /** Commit whose overlay to bring back (default: before the last release). */
    to?: string,
    /** Why, recorded in the pin. */
    reason?: string,
    /** Commit (and push) without deploying. */
    noDeploy = false,
    /** Commit and deploy without pushing. */
    noPush = false,
    /** How long to wait for workloads, e.g. 5m. */
    timeout?: string,
    /** kubeconfig with the environment's context (file://$HOME/.kube/config). */
    kubeconfig?: Secret,
    /** Token that may push to the env repo (env://GITOPS_FLOW_GIT_TOKEN). */
    gitToken?: Secret,
    /** GCP service-account key for GKE environments (file://key.json). */
    gcpKey?: Secret,
    /** A cluster reachable as a service, bound as host `cluster`. */
    cluster?: Service,
    /** Change nothing: no commit, no push; applies are server dry-runs. */
    dryRun = false,
  ): Promise<Directory> {
    const argv = verbArgv('rollback', { env, to, reason, noDeploy, noPush, timeout }, { repoDir: REPO_DIR, dryRun });
    return (
      await this.runCli({ envRepo: { repo, repoUrl, branch }, kubeconfig, gitToken, gcpKey, cluster }, argv, true)
    ).directory(REPO_DIR);
  }

  /** Disaster recovery: re-apply an environment exactly as git had it at a commit or time, and record it as a commit. Returns the changed repo. */
  @func({ cache: 'never' })
  async restore(
    /** A commit, or an ISO-8601 time (the last commit at or before it). */
    at: string,
    /** Environment to restore (or --all-envs). */
    env?: string,
    /** Every environment, in promotion order. */
    allEnvs = false,
    /** The env repo working copy (--repo .). */
    repo?: Directory,
    /** Or the env repo's clone URL (CI). */
    repoUrl?: string,
    /** Branch to clone with --repo-url. */
    branch = 'main',
    /** Only record the state in git. */
    noDeploy = false,
    /** Commit and deploy without pushing. */
    noPush = false,
    /** How long to wait for workloads, e.g. 5m. */
    timeout?: string,
    /** kubeconfig with the environment's context (file://$HOME/.kube/config). */
    kubeconfig?: Secret,
    /** Token that may push to the env repo (env://GITOPS_FLOW_GIT_TOKEN). */
    gitToken?: Secret,
    /** GCP service-account key for GKE environments (file://key.json). */
    gcpKey?: Secret,
    /** A cluster reachable as a service, bound as host `cluster`. */
    cluster?: Service,
    /** Change nothing: no commit, no push; applies are server dry-runs. */
    dryRun = false,
  ): Promise<Directory> {
    const argv = verbArgv('restore', { env, allEnvs, at, noDeploy, noPush, timeout }, { repoDir: REPO_DIR, dryRun });
    return (
      await this.runCli({ envRepo: { repo, repoUrl, branch }, kubeconfig, gitToken, gcpKey, cluster }, argv, true)
    ).directory(REPO_DIR);
  }

  /** What runs where, since when, verified or pending, and drift against the clusters (JSON). */
  @func({ cache: 'never' })
  async status(
    /** The env repo working copy (--repo .). */
    repo?: Directory,
    /** Or the env repo's clone URL (CI). */
    repoUrl?: string,
    /** Branch to clone with --repo-url. */
    branch = 'main',
    /** Do not contact the clusters (no drift check). */
    noCluster = false,
    /** kubeconfig for the drift check (file://$HOME/.kube/config). */
    kubeconfig?: Secret,
    /** Token that may read the env repo (env://GITOPS_FLOW_GIT_TOKEN). */
    gitToken?: Secret,
    /** GCP service-account key for GKE environments (file://key.json). */
    gcpKey?: Secret,
    /** A cluster reachable as a service, bound as host `cluster`. */
    cluster?: Service,
  ): Promise<string> {
    const argv = verbArgv('status', { noCluster }, { repoDir: REPO_DIR });
    return (
      await this.runCli({ envRepo: { repo, repoUrl, branch }, kubeconfig, gitToken, gcpKey, cluster }, argv, true)
    ).stdout();
  }

  /** Every release, newest first, from git (JSON). */
  @func({ cache: 'session' })
  async history(
    /** The env repo working copy (--repo .). */
    repo?: Directory,
    /** Or the env repo's clone URL (CI). */
    repoUrl?: string,
    /** Branch to clone with --repo-url. */
    branch = 'main',
    /** Only this environment. */
    env?: string,
    /** Only releases after this time, e.g. 2026-10-01T12:00Z. */
    since?: string,
    /** At most this many releases. */
    limit?: number,
    /** Token that may read the env repo (env://GITOPS_FLOW_GIT_TOKEN). */
    gitToken?: Secret,
  ): Promise<string> {
    const argv = verbArgv('history', { env, since, limit }, { repoDir: REPO_DIR });
    return (await this.runCli({ envRepo: { repo, repoUrl, branch }, gitToken }, argv, false)).stdout();
  }

  /** Check the toolbox's tools against ci/tools.json, the env repo's config and cluster access (JSON; a failed check is in the report, not an error). */
  @func({ cache: 'never' })
  async doctor(
    /** The env repo working copy (--repo .). */
    repo?: Directory,
    /** Or the env repo's clone URL (CI). */
    repoUrl?: string,
    /** Branch to clone with --repo-url. */
    branch = 'main',
    /** kubeconfig to check cluster access with (file://$HOME/.kube/config). */
    kubeconfig?: Secret,
    /** Token that may read the env repo (env://GITOPS_FLOW_GIT_TOKEN). */
    gitToken?: Secret,
    /** GCP service-account key for GKE environments (file://key.json). */
    gcpKey?: Secret,
    /** A cluster reachable as a service, bound as host `cluster`. */
    cluster?: Service,
  ): Promise<string> {
    const argv = verbArgv('doctor', {}, { repoDir: REPO_DIR });
    const c = await this.prepare({ envRepo: { repo, repoUrl, branch }, kubeconfig, gitToken, gcpKey, cluster }, true);
    return c.withExec(['gitops-flow', ...argv], { expect: ReturnType.Any }).stdout();
  }

  /**
   * Run a pipeline of the env repo's gitops-flow.yaml (gitops-flow run): its run: steps execute inside
   * this pinned toolbox, so a laptop and CI run the same commands in the same image. Returns the repo.
   */
  @func({ cache: 'never' })
  async run(
    /** Pipeline name (gitops-flow pipelines list). */
    pipeline: string,
    /** The env repo working copy (--repo .). */
    repo?: Directory,
    /** Or the env repo's clone URL (CI). */
    repoUrl?: string,
    /** Branch to clone with --repo-url. */
    branch = 'main',
    /** Inputs of the pipeline, each name=value. */
    inputs: string[] = [],
    /** The environment that environment.* reads (default: the pipeline's environment:). */
    env?: string,
    /** Names of the secret variables the pipeline's run: steps declare under secrets:, in the order of secretValues. */
    secretNames: string[] = [],
    /** Their values (env://NAME), in the order of secretNames. */
    secretValues: Secret[] = [],
    /** kubeconfig with the environments' contexts (file://$HOME/.kube/config); mounted as a file. */
    kubeconfig?: Secret,
    /** Token that may push to the env repo (env://GITOPS_FLOW_GIT_TOKEN). */
    gitToken?: Secret,
    /** GCP service-account key for GKE environments (file://key.json); mounted as a file. */
    gcpKey?: Secret,
    /** A cluster reachable as a service, bound as host `cluster`. */
    cluster?: Service,
    /** Print the plan (steps, conditions, inputs) and run nothing. */
    dryRun = false,
  ): Promise<Directory> {
    if (secretNames.length !== secretValues.length)
      throw new Error('Pass one --secret-values per --secret-names, in the same order.');
    const argv = verbArgv('run', { pipeline, inputs, env }, { repoDir: REPO_DIR, dryRun });
    return (
      await this.runCli(
        {
          envRepo: { repo, repoUrl, branch },
          stepSecrets: { names: secretNames, values: secretValues },
          kubeconfig,
          gitToken,
          gcpKey,
          cluster,
        },
        argv,
        true,
      )
    ).directory(REPO_DIR);
  }

  /** The toolbox with the env repo at REPO_DIR, the secrets as files or secret variables, then the CLI run. */
  private async runCli(inputs: Inputs, argv: string[], sideEffects: boolean): Promise<Container> {
    return (await this.prepare(inputs, sideEffects)).withExec(['gitops-flow', ...argv]);
  }

  private async prepare(inputs: Inputs, sideEffects: boolean): Promise<Container> {
    let c = await this.toolbox();
    if (inputs.kubeconfig)
      c = c.withMountedSecret(KUBECONFIG_PATH, inputs.kubeconfig).withEnvVariable('KUBECONFIG', KUBECONFIG_PATH);
    if (inputs.gitToken) c = c.withSecretVariable('GITOPS_FLOW_GIT_TOKEN', inputs.gitToken);
    if (inputs.dockerConfig)
      c = c
        .withMountedSecret(`${DOCKER_CONFIG_DIR}/config.json`, inputs.dockerConfig)
        .withEnvVariable('DOCKER_CONFIG', DOCKER_CONFIG_DIR);
    if (inputs.gcpKey) {
      c = c
        .withMountedSecret(GCP_KEY_PATH, inputs.gcpKey)
        .withEnvVariable('GOOGLE_APPLICATION_CREDENTIALS', GCP_KEY_PATH)
        .withEnvVariable('CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE', GCP_KEY_PATH);
    }
    if (inputs.cluster) c = c.withServiceBinding('cluster', inputs.cluster);
    const { names = [], values = [] } = inputs.stepSecrets ?? {};
    for (const [i, name] of names.entries()) c = c.withSecretVariable(name, values[i] as Secret);
    const r = inputs.envRepo;
    // A clone reads a remote that changes under it: never from the engine's cache, even for render/history.
    if (sideEffects || r?.repoUrl) c = c.withEnvVariable('GITOPS_FLOW_INVOCATION', invocationId());
    if (!r) return c.withWorkdir('/tmp');
    if (r.repo) return c.withDirectory(REPO_DIR, r.repo).withWorkdir(REPO_DIR);
    if (r.repoUrl) return c.withExec(cloneArgv(r.repoUrl, r.branch, REPO_DIR)).withWorkdir(REPO_DIR);
    throw new Error('Pass the env repo: --repo <dir> (a working copy) or --repo-url <clone URL>.');
  }
}
