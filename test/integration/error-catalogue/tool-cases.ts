/** Error codes of init, the tools, clusters and the command line itself, through the CLI. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cleanEnv, runCli } from '../../helpers/cli.js';
import { exampleFiles, tempDir, writeFiles } from '../../helpers/git-fixtures.js';
import { type CliCase, cli, deadKubeconfig, repo, stubPath, withStubs } from './catalogue.js';

export const TOOL_CASES: CliCase[] = [
  // init.
  {
    code: 'INIT_OPTIONS_INVALID',
    exit: 2,
    value: '"Dev"',
    hint: 'Fix each option',
    run: () => cli(tempDir(), ['init', '--envs', 'Dev,uat']),
  },
  {
    code: 'INIT_WOULD_OVERWRITE',
    exit: 2,
    value: 'gitops-flow.yaml',
    hint: '--force',
    run: async () => {
      const dir = tempDir();
      expect((await cli(dir, ['init'])).code).toBe(0);
      return cli(dir, ['init']);
    },
  },
  {
    code: 'INIT_PATH_BLOCKED',
    exit: 2,
    value: 'kustomizations',
    hint: 'Move the files named above',
    run: () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'kustomizations'), 'a file where a folder must go\n');
      return cli(dir, ['init']);
    },
  },
  // Tools and clusters (no live cluster needed: nothing answers, or a stub answers).
  {
    code: 'DOCTOR_FAILED',
    exit: 1,
    value: 'kubectl',
    hint: 'Apply the fix shown under each',
    run: () => cli(repo(), ['doctor'], { ...cleanEnv(), PATH: `${stubPath({})}:/usr/bin:/bin` }),
  },
  {
    code: 'CLUSTER_UNREACHABLE',
    exit: 1,
    value: '127.0.0.1:1',
    hint: 'that the cluster is up',
    run: () =>
      cli(
        repo({ 'gitops-flow.yaml': 'environments:\n  dev: {}\n' }),
        ['deploy', '--env', 'dev', '--timeout', '5s'],
        cleanEnv({ KUBECONFIG: deadKubeconfig() }),
      ),
  },
  {
    code: 'CLUSTER_DIFF_FAILED',
    exit: 1,
    value: '127.0.0.1:1',
    hint: 'gitops-flow doctor',
    run: () =>
      cli(
        repo({ 'gitops-flow.yaml': 'environments:\n  dev: {}\n' }),
        ['diff', '--env', 'dev', '--cluster'],
        cleanEnv({ KUBECONFIG: deadKubeconfig() }),
      ),
  },
  {
    code: 'GKE_CREDENTIALS_FAILED',
    exit: 1,
    value: 'pick-cluster',
    hint: 'gcloud auth list',
    run: () =>
      cli(
        repo({
          'gitops-flow.yaml':
            'environments:\n  dev: { cluster: { gke: { project: pick-project, location: europe-west1, cluster: pick-cluster } } }\n',
        }),
        ['deploy', '--env', 'dev'],
        withStubs({
          gcloud:
            'echo "ERROR: (gcloud.container.clusters.get-credentials) You do not currently have an active account selected." >&2; exit 1',
        }),
      ),
  },
  {
    code: 'COMMAND_FAILED',
    exit: 1,
    value: 'git rev-parse --absolute-git-dir',
    hint: '--verbose',
    run: () => {
      // An env repo folder that is not a git repository: git fails where deploy did not expect it to (taking the lock).
      const dir = tempDir();
      writeFiles(
        dir,
        Object.fromEntries(Object.entries(exampleFiles()).filter(([k]) => k.startsWith('kustomizations/'))),
      );
      return cli(dir, ['deploy', '--env', 'dev']);
    },
  },
  // The command line itself.
  { code: 'USAGE_INVALID', exit: 2, value: "'histroy'", hint: 'gitops-flow --help', run: () => runCli(['histroy']) },
];
