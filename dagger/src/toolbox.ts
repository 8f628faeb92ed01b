/**
 * The toolbox container: kubectl and kustomize built from the same committed go.mod/go.sum the test
 * harness uses (ci/tools/), git from Debian, and the gitops-flow CLI built with `npm ci`.
 */
import type { Container, Directory } from '@dagger.io/dagger';
import { dag } from '@dagger.io/dagger';
import manifest from '../../ci/tools.json' with { type: 'json' };

/** Builds the toolbox from the module's own source tree (`src` is the repository root). */
export function toolbox(src: Directory): Container {
  const goCache = dag.cacheVolume('gitops-flow-go-mod');
  const tools = dag
    .container()
    .from(manifest.images.golang)
    .withMountedCache('/go/pkg/mod', goCache)
    .withDirectory('/src/ci', src.directory('ci'))
    .withWorkdir('/src')
    .withEnvVariable('GITOPS_FLOW_CACHE', '/out')
    .withExec(['bash', 'ci/tools/build.sh', 'kustomize', 'kubectl']);
  const cli = dag
    .container()
    .from(manifest.images.node)
    .withDirectory('/app', src, { include: ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'bin/**', 'src/**', 'ci/tools.json'] })
    .withWorkdir('/app')
    .withExec(['npm', 'ci', '--no-audit', '--no-fund']);
  return dag
    .container()
    .from(manifest.images.node)
    .withExec(['apt-get', 'update', '-qq'])
    .withExec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'git', 'ca-certificates', 'tar'])
    .withFile('/usr/local/bin/kustomize', tools.file(`/out/bin/kustomize-${manifest.kustomize}/kustomize`))
    .withFile('/usr/local/bin/kubectl', tools.file(`/out/bin/kubectl-${manifest.kubectl}/kubectl`))
    .withDirectory('/opt/gitops-flow', cli.directory('/app'))
    .withExec(['ln', '-s', '/opt/gitops-flow/bin/gitops-flow.js', '/usr/local/bin/gitops-flow']);
}
