import { cleanEnv, runCli } from '../../helpers/cli.js';
import { exampleFiles, makeRemote, tempDir } from '../../helpers/git-fixtures.js';
import { type CliCase, cli, clone, DEV, repo, withMirror, withStubs } from './catalogue.js';

export const REPO_CASES: CliCase[] = [
  // Where the env repo is and what it holds.
  {
    code: 'REPO_DIR_MISSING',
    exit: 2,
    value: '/nonexistent/env',
    hint: 'Pass -C <dir>',
    run: () => runCli(['-C', '/nonexistent/env', 'status']),
  },
  {
    code: 'NO_ENVIRONMENTS',
    exit: 2,
    value: 'gitops-flow-test-',
    hint: 'gitops-flow init',
    run: () => cli(tempDir(), ['status']),
  },
  {
    code: 'PATH_OUTSIDE_REPO',
    exit: 2,
    value: '../outside.yaml',
    hint: 'without ".."',
    run: () => cli(repo(), ['render', '--env', 'dev', '--out', '../outside.yaml']),
  },
  {
    code: 'REMOTE_RESOURCE_REFUSED',
    exit: 2,
    value: 'https://example.com/app.yaml',
    hint: 'remoteResources:',
    run: () =>
      cli(repo({ 'kustomizations/base/kustomization.yaml': 'resources: [https://example.com/app.yaml]\n' }), [
        'render',
        '--env',
        'dev',
      ]),
  },
  {
    code: 'OVERLAY_MISSING',
    exit: 2,
    value: 'kustomizations/overlays/qa',
    hint: 'Create kustomization.yaml',
    run: () =>
      cli(
        repo({
          'kustomizations/overlays/qa/README.md': 'no kustomization here\n',
          'gitops-flow.yaml': 'environments:\n  dev: {}\n  qa: {}\n',
        }),
        ['status', '--no-cluster'],
      ),
  },
  {
    code: 'REF_UNKNOWN',
    exit: 2,
    value: 'no-such-ref',
    hint: 'Use a commit sha',
    run: () => cli(repo(), ['render', '--env', 'dev', '--ref', 'no-such-ref']),
  },
  {
    code: 'CONFIG_INVALID',
    exit: 2,
    value: '"soon"',
    hint: 'Fix each field',
    run: () =>
      cli(repo({ 'gitops-flow.yaml': 'environments:\n  dev: { verify: { timeout: soon } }\n' }), [
        'status',
        '--no-cluster',
      ]),
  },
  {
    code: 'ENV_UNKNOWN',
    exit: 2,
    value: 'staging',
    hint: 'Use one of: dev, uat, prod',
    run: () => cli(repo(), ['render', '--env', 'staging']),
  },
  {
    code: 'DURATION_INVALID',
    exit: 2,
    value: '5 minutes',
    hint: 'a duration like 90s',
    run: () => cli(repo(), ['deploy', '--env', 'dev', '--timeout', '5 minutes']),
  },
  {
    code: 'KUSTOMIZATION_INVALID',
    exit: 2,
    value: DEV,
    hint: 'Make `images:` a list',
    run: () =>
      cli(clone({ [DEV]: 'resources: [../../base]\nimages: oops\n' }), [
        'promote',
        '--from',
        'dev',
        '--to',
        'uat',
        '--no-deploy',
      ]),
  },
  // Rendering.
  {
    code: 'RENDER_FAILED',
    exit: 1,
    value: 'kustomizations/overlays/dev',
    hint: 'kustomize build',
    run: () =>
      cli(repo({ 'kustomizations/base/kustomization.yaml': 'resources: [missing.yaml]\n' }), [
        'render',
        '--env',
        'dev',
      ]),
  },
  {
    code: 'TOOL_MISSING',
    exit: 1,
    value: 'kustomize',
    hint: 'gitops-flow doctor',
    run: () => cli(repo(), ['render', '--env', 'dev'], { ...cleanEnv(), PATH: '/usr/bin/nonexistent-dir:/bin' }),
  },
  {
    code: 'TOOL_CHECKSUM_MISMATCH',
    exit: 1,
    value: 'ebbd080e7c2e275093b55915722043257eb24004363e20acb3c4d71919f88336',
    hint: '--from build',
    run: () =>
      withMirror({ 'https://dl.k8s.io/release/v1.36.3/bin/linux/amd64/kubectl': Buffer.from('not kubectl\n') }, (env) =>
        cli(tempDir(), ['tools', 'install', 'kubectl'], env),
      ),
  },
  {
    code: 'TOOL_INSTALL_FAILED',
    exit: 1,
    value: 'HTTP 404',
    hint: 'GITOPS_FLOW_TOOLS_MIRROR',
    run: () => withMirror({}, (env) => cli(tempDir(), ['tools', 'install', 'kustomize', '--from', 'download'], env)),
  },
  {
    code: 'RENDER_INVALID',
    exit: 2,
    value: 'not valid YAML',
    hint: 'kustomize build',
    run: () =>
      cli(repo(), ['--json', 'render', '--env', 'dev'], withStubs({ kustomize: "printf 'kind: [unclosed\\n'" })),
  },
  {
    code: 'IO_FAILED',
    exit: 1,
    value: 'a-directory',
    hint: 'not a directory',
    run: () => {
      const dir = repo({ 'a-directory/keep': '' });
      return cli(dir, ['render', '--env', 'dev', '--out', 'a-directory']);
    },
  },
  // Pipelines of gitops-flow.yaml.
  {
    code: 'PIPELINE_UNKNOWN',
    exit: 2,
    value: '"smoke"',
    hint: 'Declare it under pipelines:',
    run: () => cli(repo(), ['run', 'smoke']),
  },
  {
    code: 'INPUT_INVALID',
    exit: 2,
    value: 'colour',
    hint: 'Pass --input name=value',
    run: () =>
      cli(repo({ 'gitops-flow.yaml': 'pipelines:\n  p: { steps: [{ run: [true] }] }\n' }), [
        'run',
        'p',
        '--input',
        'colour=red',
      ]),
  },
  {
    code: 'STEP_FAILED',
    exit: 1,
    value: 'smoke',
    hint: 'continue-on-error',
    run: () =>
      cli(repo({ 'gitops-flow.yaml': "pipelines:\n  p: { steps: [{ name: smoke, run: ['false'] }] }\n" }), [
        'run',
        'p',
      ]),
  },
  {
    code: 'STEP_NEEDS_ENGINE',
    exit: 2,
    value: `alpine:3.20@sha256:${'0'.repeat(64)}`,
    hint: 'dagger run gitops-flow',
    run: () =>
      cli(
        repo({
          'gitops-flow.yaml': `pipelines:\n  p: { steps: [{ image: 'alpine:3.20@sha256:${'0'.repeat(64)}', run: [true] }] }\n`,
        }),
        ['run', 'p'],
      ),
  },
  // suggest.
  {
    code: 'IMAGE_ARG_INVALID',
    exit: 2,
    value: 'app=Bad Ref',
    hint: 'Use one of: <name>=<newName>:<tag>',
    run: () =>
      runCli(['suggest', '--env-repo', makeRemote(exampleFiles()).url, '--env', 'dev', '--image', 'app=Bad Ref']),
  },
  {
    code: 'ENV_REPO_URL_INVALID',
    exit: 2,
    value: 'ftp://example.com/env.git',
    hint: 'https://gitlab.example.com/group/env.git',
    run: () =>
      runCli([
        'suggest',
        '--env-repo',
        'ftp://example.com/env.git',
        '--env',
        'dev',
        '--image',
        'application-image=registry.example.com/a:1',
      ]),
  },
  {
    code: 'BRANCH_UNKNOWN',
    exit: 2,
    value: 'release-9',
    hint: 'git.targetBranch',
    run: () =>
      runCli([
        'suggest',
        '--env-repo',
        makeRemote(exampleFiles({ 'gitops-flow.yaml': 'git: { targetBranch: release-9 }\n' })).url,
        '--env',
        'dev',
        '--image',
        'application-image=registry.example.com/a:1',
      ]),
  },
];
