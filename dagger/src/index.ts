/**
 * gitops-flow as Dagger functions: a pinned toolbox and one function per verb, each running the same
 * gitops-flow CLI inside the toolbox, so `dagger call promote --from dev --to uat` does what CI does.
 *
 * No Dagger engine runs on the development machines; this module is verified by type checks and a
 * contract test (test/unit/dagger-module.test.ts), not executed. Issue 10 finishes it (digest-pinned
 * base images, gcloud, dagger.json engine version).
 */
import { type Container, type Directory, dag, func, object, type Secret, type Service } from '@dagger.io/dagger';
import { toolbox } from './toolbox.js';

@object()
export class GitopsFlow {
  /** The pinned toolbox: git, kubectl, kustomize (ci/tools.json) and the gitops-flow CLI. */
  @func()
  toolbox(): Container {
    return toolbox(dag.currentModule().source().directory('..'));
  }

  /** Render an environment with the pinned kustomize; returns the manifest. */
  @func()
  async render(
    /** The env repo working copy. */
    repo: Directory,
    /** Environment (an overlay under kustomizations/overlays/). */
    env: string,
    /** Render the overlay as it was at this commit. */
    ref?: string,
  ): Promise<string> {
    return this.cli(repo, ['render', '--env', env, ...(ref ? ['--ref', ref] : [])]).stdout();
  }

  /** Render, server-side apply, wait for every workload; restore the last good render on failure. */
  @func({ cache: 'never' })
  async deploy(
    repo: Directory,
    env: string,
    /** kubeconfig with the environment's context (file://~/.kube/config). */
    kubeconfig: Secret,
    ref?: string,
    /** How long to wait for workloads, e.g. 5m. */
    timeout?: string,
    /** A cluster reachable as a service (e.g. a local control plane), bound as `cluster`. */
    cluster?: Service,
  ): Promise<string> {
    const args = ['deploy', '--env', env, ...(ref ? ['--ref', ref] : []), ...(timeout ? ['--timeout', timeout] : [])];
    return this.cli(repo, args, { kubeconfig, cluster }).stdout();
  }

  /** Copy images from one environment to the next, deploy, verify, push; returns the changed repo. */
  @func({ cache: 'never' })
  promote(
    repo: Directory,
    from: string,
    to: string,
    kubeconfig: Secret,
    /** Token for pushing to the env repo (env://GITOPS_FLOW_GIT_TOKEN). */
    gitToken?: Secret,
    /** Commit and deploy without pushing. */
    noPush = false,
    cluster?: Service,
  ): Directory {
    const args = ['promote', '--from', from, '--to', to, ...(noPush ? ['--no-push'] : [])];
    return this.cli(repo, args, { kubeconfig, gitToken, cluster }).directory('/repo');
  }

  /** Set images in an env overlay of a remote env repo and push a merge request branch. */
  @func({ cache: 'never' })
  async suggest(
    /** Clone URL of the env repo. */
    envRepo: string,
    env: string,
    /** Images as kustomize edit set image takes them: name=newName:tag. */
    images: string[],
    gitToken: Secret,
  ): Promise<string> {
    const args = ['suggest', '--env-repo', envRepo, '--env', env, ...images.flatMap((i) => ['--image', i])];
    return this.cli(dag.directory(), args, { gitToken }).stdout();
  }

  /** What runs where, since when (JSON). */
  @func()
  async status(repo: Directory): Promise<string> {
    return this.cli(repo, ['--json', 'status']).stdout();
  }

  /** Every release, newest first (JSON). */
  @func()
  async history(repo: Directory, env?: string): Promise<string> {
    return this.cli(repo, ['--json', 'history', ...(env ? ['--env', env] : [])]).stdout();
  }

  private cli(repo: Directory, args: string[], s: { kubeconfig?: Secret; gitToken?: Secret; cluster?: Service } = {}): Container {
    let c = this.toolbox().withDirectory('/repo', repo).withWorkdir('/repo');
    if (s.kubeconfig) c = c.withMountedSecret('/run/secrets/kubeconfig', s.kubeconfig).withEnvVariable('KUBECONFIG', '/run/secrets/kubeconfig');
    if (s.gitToken) c = c.withSecretVariable('GITOPS_FLOW_GIT_TOKEN', s.gitToken);
    if (s.cluster) c = c.withServiceBinding('cluster', s.cluster);
    return c.withExec(['gitops-flow', '-C', '/repo', ...args]);
  }
}
