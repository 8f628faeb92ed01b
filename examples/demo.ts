/**
 * `npm start`: the whole flow on this machine, end to end, saying what it does at each step.
 * A local env repo (examples/env-repo, the seed's layout) behind a bare remote, two local Kubernetes
 * control planes (dev and uat), then: suggest → deploy dev from the MR branch → "merge" → promote to
 * uat, whose smoke-test hook runs after verify → status and history. Everything is torn down at the
 * end, also on failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClusterSet, startClusters } from '../src/cluster/cluster.js';
import { clusterBinaries, toolDir } from '../src/cluster/tools.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'gitops-flow-demo-'));
const say = (text: string) => process.stderr.write(`\n\x1b[1m▶ ${text}\x1b[0m\n`);

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Demo',
      GIT_AUTHOR_EMAIL: 'demo@example.com',
      GIT_COMMITTER_NAME: 'Demo',
      GIT_COMMITTER_EMAIL: 'demo@example.com',
    },
  }).trim();
}

function gitopsFlow(args: string[], env: NodeJS.ProcessEnv): void {
  process.stderr.write(`$ gitops-flow ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [join(root, 'bin', 'gitops-flow.js'), ...args], { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error(`gitops-flow ${args[0]} exited with ${r.status}`);
}

async function main(): Promise<void> {
  say('Pinned tools (ci/tools.json): building into ~/.cache/gitops-flow on first use');
  // gitops-flow finds kustomize and kubectl in that cache by itself: nothing is added to PATH.
  const [binaries] = await Promise.all([clusterBinaries(), toolDir('kustomize')]);

  say(`A local env repo from examples/env-repo, pushed to a bare remote (in ${work})`);
  const seed = join(work, 'seed');
  cpSync(join(root, 'examples', 'env-repo'), seed, { recursive: true });
  // A team's own step: uat's promotions run a smoke test after verify, before the push (a pipeline hook).
  const config = join(seed, 'gitops-flow.yaml');
  writeFileSync(
    config,
    readFileSync(config, 'utf8').replace(
      '    promoteFrom: dev\n',
      `    promoteFrom: dev
    hooks:
      promote:
        after:
          verify:
            - name: smoke test
              run: [kubectl, --context, uat, --namespace, pick-manager-uat, wait, --for=condition=Available, deployment/pick-manager, --timeout=30s]
`,
    ),
  );
  git(seed, ['init', '--quiet', '--initial-branch=main']);
  git(seed, ['add', '-A']);
  git(seed, ['commit', '--quiet', '-m', 'env repo in the seed layout']);
  const remote = join(work, 'env.git');
  git(work, ['clone', '--quiet', '--bare', seed, remote]);
  git(remote, ['config', 'receive.advertisePushOptions', 'true']);

  say('Starting two local Kubernetes control planes, dev and uat (etcd, kube-apiserver, controllers, kwok)');
  let clusters: ClusterSet | undefined;
  try {
    clusters = await startClusters(['dev', 'uat'], join(work, 'clusters'), { binaries });
    const env = { ...process.env, KUBECONFIG: clusters.kubeconfig };
    process.stderr.write(`kubeconfig: ${clusters.kubeconfig}\n`);

    say(
      'The app pipeline suggests registry.example.com/team/pick-manager:1.4.2 for dev (an MR branch with push options)',
    );
    const ci = {
      CI_PROJECT_PATH: 'team/pick-manager',
      CI_COMMIT_SHA: 'c0ffee0000000000000000000000000000000000',
      CI_COMMIT_REF_NAME: 'main',
      CI_PIPELINE_ID: '1001',
      CI_COMMIT_MESSAGE: 'Faster order picking',
    };
    gitopsFlow(
      [
        'suggest',
        '--env-repo',
        `file://${remote}`,
        '--env',
        'dev',
        '--image',
        'application-image=registry.example.com/team/pick-manager:1.4.2',
      ],
      { ...env, ...ci },
    );
    const branch = git(remote, ['for-each-ref', '--format=%(refname:short)', 'refs/heads/gitops-flow/']);

    say(`The env repo's MR pipeline deploys dev from ${branch} and waits for every workload`);
    const clone = join(work, 'env');
    git(work, ['clone', '--quiet', `file://${remote}`, clone]);
    git(clone, ['fetch', '--quiet', 'origin', branch]);
    gitopsFlow(['-C', clone, 'deploy', '--env', 'dev', '--ref', `origin/${branch}`, '--timeout', '2m'], env);

    say('The pipeline succeeded, so GitLab merges the MR (here: a fast-forward push of the branch to main)');
    git(clone, ['merge', '--quiet', '--ff-only', `origin/${branch}`]);
    git(clone, ['push', '--quiet', 'origin', 'main']);

    say("uat's promote pipeline, with the team's smoke-test hook (gitops-flow.yaml) in place");
    gitopsFlow(['-C', clone, 'pipelines', 'show', 'promote', '--env', 'uat'], env);

    say('A release manager promotes dev → uat: copy images, commit, deploy, verify, smoke test, push');
    gitopsFlow(['-C', clone, 'promote', '--from', 'dev', '--to', 'uat', '--timeout', '2m'], {
      ...env,
      GIT_AUTHOR_NAME: 'Release Manager',
      GIT_AUTHOR_EMAIL: 'rm@example.com',
      GIT_COMMITTER_NAME: 'Release Manager',
      GIT_COMMITTER_EMAIL: 'rm@example.com',
    });

    say('What runs where (status) and every release (history), from git');
    gitopsFlow(['-C', clone, 'status'], env);
    gitopsFlow(['-C', clone, 'history'], env);

    say('The uat cluster runs the promoted image:');
    execFileSync(
      binaries.kubectl,
      ['--context', 'uat', '-n', 'pick-manager-uat', 'get', 'deployment', 'pick-manager', '-o', 'wide'],
      { stdio: 'inherit', env },
    );
  } finally {
    say('Tearing down the clusters and the demo directory');
    await clusters?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  say('Done.');
}

main().catch((e: unknown) => {
  process.stderr.write(`\ndemo failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
