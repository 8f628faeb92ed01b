/**
 * The CI wrappers run for real: gitlab-ci-local executes the jobs of the CI/CD components (templates/) in the
 * shell (after validating them against GitLab's CI schema) with the built CLI on PATH and GitLab's CI_*
 * variables set as a real pipeline would: the app repo's suggest job against a bare remote, the env
 * repo's merge-request deploy job against the local dev cluster, then the manual promote job into uat.
 * Also the contract that the Dagger module's deploy argv (dagger/src/argv.ts) deploys for real.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { verbArgv } from '../../dagger/src/argv.js';
import { appRepoPipeline, envRepoPipeline, GITLAB_CI_LOCAL } from '../helpers/ci-components.js';
import { runBinary } from '../helpers/cli.js';
import {
  cloneRemote,
  EXAMPLE_ENV_REPO,
  filesOf,
  gitSync,
  makeRemote,
  makeRepo,
  REPO_ROOT,
  type Remote,
  tempDir,
} from '../helpers/git-fixtures.js';
import { e2eEnv, liveImages, uniqueExample } from './helpers.js';

const ENVS = ['dev', 'uat', 'prod'];
/** A fake CI/CD variable: it must never appear in any job log, artifact or commit. */
const TOKEN = 'glpat-FAKE-e2e-secret-7c1d2a9b';
const SECTION = /\x1b\[0Ksection_start:\d+:[\w.-]+(\[collapsed=true\])?\r\x1b\[0K/;
const IMAGE = 'registry.example.com/team/pick-manager';

interface Job {
  code: number;
  /** gitlab-ci-local's own output (job names prefixed). */
  output: string;
  /** Each job's log as gitlab-ci-local keeps it (.gitlab-ci-local/output/<job>.log). */
  log: (job: string) => string;
}

/** `gitops-flow` on PATH: a shim for the built CLI, as the toolbox image has it. */
function shimDir(): string {
  const dir = tempDir('gitops-flow-shim-');
  writeFileSync(
    join(dir, 'gitops-flow'),
    `#!/bin/sh\nexec "${process.execPath}" "${join(REPO_ROOT, 'bin', 'gitops-flow.js')}" "$@"\n`,
  );
  chmodSync(join(dir, 'gitops-flow'), 0o755);
  return dir;
}

/**
 * Runs gitlab-ci-local in `cwd` with the shell executor. `secrets` play GitLab's masked CI/CD variables
 * (gitlab-ci-local's home variables file); `vars` are the pipeline's predefined CI_* variables.
 */
function gitlabCiLocal(
  cwd: string,
  args: string[],
  o: { vars?: Record<string, string>; secrets?: Record<string, string> } = {},
): Promise<Job> {
  const home = tempDir('gitops-flow-glcl-home-');
  mkdirSync(join(home, '.gitlab-ci-local'), { recursive: true });
  const globals = Object.entries(o.secrets ?? {}).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
  writeFileSync(join(home, '.gitlab-ci-local', 'variables.yml'), `global:\n${globals.join('\n') || '  {}'}\n`);
  const argv = [
    GITLAB_CI_LOCAL,
    '--home',
    home,
    '--force-shell-executor',
    '--no-color',
    '--max-job-name-padding',
    '0',
    ...Object.entries({ GITLAB_CI: 'true', ...o.vars }).flatMap(([k, v]) => ['--variable', `${k}=${v}`]),
    ...args,
  ];
  const env = e2eEnv({ PATH: `${shimDir()}:${inject('toolPath')}:/usr/local/bin:/usr/bin:/bin`, HOME: home });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd, env });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        output,
        log: (job) => readFileSync(join(cwd, '.gitlab-ci-local', 'output', `${job}.log`), 'utf8'),
      }),
    );
  });
}

/** An env repo (the example, with unique namespaces) whose .gitlab-ci.yml includes the components for dev, uat, prod. */
function envRemote(): { remote: Remote; ns: (env: string) => string } {
  const { files, ns } = uniqueExample();
  const remote = makeRemote({ ...files, ...envRepoPipeline(ENVS) });
  return { remote, ns };
}

/** A clone the way a runner has it: origin set, gitlab-ci-local's state dir ignored like a build dir. */
function runnerClone(remote: Remote): string {
  const dir = cloneRemote(remote);
  writeFileSync(join(dir, '.git', 'info', 'exclude'), '.gitlab-ci-local/\n');
  return dir;
}

/** An app repo including the suggest component, on main, with a GitLab-looking origin (gives CI_PROJECT_PATH). */
function appRepo(envRepoUrl: string): string {
  const dir = makeRepo(
    appRepoPipeline(envRepoUrl, `application-image=${IMAGE}:$CI_COMMIT_SHORT_SHA`),
    'Fix the order picker',
  );
  gitSync(dir, ['remote', 'add', 'origin', 'https://gitlab.example.com/team/pick-manager.git']);
  writeFileSync(join(dir, '.git', 'info', 'exclude'), '.gitlab-ci-local/\n');
  return dir;
}

function expectNoSecret(...texts: string[]): void {
  for (const t of texts) expect(t).not.toContain(TOKEN);
}

describe('GitLab CI wrappers under gitlab-ci-local', () => {
  it("the components (both variants) pass GitLab's CI schema (the project's own pipeline: ci-components.test.ts)", async () => {
    const pipelines = [
      ['env-repo', envRepoPipeline(ENVS)],
      ['app-repo', appRepoPipeline('https://gitlab.example.com/team/env.git', 'app=reg/app:1')],
      ['env-repo (dagger call)', envRepoPipeline(ENVS, { dagger: true })],
      [
        'app-repo (dagger call)',
        appRepoPipeline('https://gitlab.example.com/team/env.git', 'app=reg/app:1', { dagger: true }),
      ],
    ] as const;
    for (const [name, files] of pipelines) {
      const r = await gitlabCiLocal(makeRepo(files), ['--list-json']);
      expect(r.code, `${name}: ${r.output}`).toBe(0);
      expect(r.output, name).toContain('json schema validated');
    }
    // A schema error fails it: the check is real.
    const files = envRepoPipeline(ENVS);
    const deploy = 'gitops-flow-ci/deploy.yml';
    const bad = makeRepo({
      ...files,
      [deploy]: (files[deploy] as string).replace('resource_group: $[[ inputs.env ]]', 'resource_group: [dev]'),
    });
    expect((await gitlabCiLocal(bad, ['--list-json'])).code).not.toBe(0);
  });

  it('suggest (app repo) → MR pipeline deploy-dev (dev cluster) → merge → manual promote-uat (uat cluster)', async () => {
    const { remote, ns } = envRemote();
    const mainBefore = gitSync(remote.dir, ['rev-parse', 'main']);

    // 1. The app repo's pipeline on its default branch: the suggest job pushes an MR branch with push options.
    const app = appRepo(remote.url);
    const appSha = gitSync(app, ['rev-parse', 'HEAD']);
    const tag = appSha.slice(0, 8);
    const suggest = await gitlabCiLocal(app, ['suggest-dev'], {
      vars: {
        CI_PIPELINE_ID: '4242',
        CI_PIPELINE_URL: 'https://gitlab.example.com/team/pick-manager/-/pipelines/4242',
      },
      secrets: { GITOPS_FLOW_GIT_TOKEN: TOKEN },
    });
    expect(suggest.code, suggest.output).toBe(0);
    expect(suggest.output).toContain('PASS  suggest-dev');
    const pushes = remote.pushes();
    expect(pushes).toHaveLength(1);
    const branch = pushes[0]?.updates[0]?.ref.replace('refs/heads/', '') as string;
    expect(branch).toMatch(/^gitops-flow\/dev\/application-image-/);
    expect(pushes[0]?.options).toEqual(
      expect.arrayContaining([
        'merge_request.create',
        'merge_request.target=main',
        'merge_request.label=gitops-flow',
        'merge_request.remove_source_branch',
        'merge_request.auto_merge',
      ]),
    );
    const trailers = gitSync(remote.dir, ['log', '-1', '--format=%(trailers:only,unfold)', branch]);
    expect(trailers).toContain('Upstream-Project: team/pick-manager');
    expect(trailers).toContain(`Upstream-Commit: ${appSha}`);
    expect(trailers).toContain('Upstream-Pipeline: 4242');
    expect(gitSync(remote.dir, ['show', `${branch}:kustomizations/overlays/dev/kustomization.yaml`])).toContain(tag);
    expect(SECTION.test(suggest.log('suggest-dev'))).toBe(true);
    expectNoSecret(suggest.output, suggest.log('suggest-dev'), gitSync(remote.dir, ['log', '--all', '--format=%B']));

    // 2. The merge request's pipeline in the env repo: only deploy-dev runs, against the dev cluster.
    const mr = runnerClone(remote);
    gitSync(mr, ['checkout', '--quiet', '--detach', `origin/${branch}`]);
    const mrSha = gitSync(mr, ['rev-parse', 'HEAD']);
    const deploy = await gitlabCiLocal(mr, [], {
      vars: {
        CI_PIPELINE_SOURCE: 'merge_request_event',
        CI_PIPELINE_ID: '5001',
        CI_PROJECT_PATH: 'team/env',
        CI_COMMIT_REF_NAME: branch,
        CI_COMMIT_BRANCH: branch,
        CI_DEFAULT_BRANCH: 'main',
        CI_MERGE_REQUEST_IID: '7',
        CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: branch,
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
      },
      secrets: { GITOPS_FLOW_GIT_TOKEN: TOKEN },
    });
    expect(deploy.code, deploy.output).toBe(0);
    expect(deploy.output).toContain('PASS  deploy-dev');
    expect(deploy.output).not.toMatch(/promote-|rollback-|restore-/);
    expect(liveImages('dev', ns('dev')).app).toBe(`${IMAGE}:${tag}`);
    const deployLog = deploy.log('deploy-dev');
    expect(SECTION.test(deployLog)).toBe(true);
    expect(deployLog).toContain('section_end:');
    expect(deployLog).toContain(mrSha.slice(0, 12));
    // The artifacts GitLab would keep: the rendered manifest and the dotenv report.
    expect(readFileSync(join(mr, '.gitops-flow/rendered/dev.yaml'), 'utf8')).toContain(`${IMAGE}:${tag}`);
    expect(readFileSync(join(mr, '.gitops-flow/deploy.env'), 'utf8')).toContain(`GITOPS_FLOW_COMMIT=${mrSha}`);
    // The verification record reached the remote beside the branch.
    expect(gitSync(remote.dir, ['for-each-ref', '--format=%(refname)', 'refs/notes/'])).toContain(
      'refs/notes/gitops-flow-verified',
    );
    expect(gitSync(remote.dir, ['rev-parse', 'main'])).toBe(mainBefore);
    expectNoSecret(deploy.output, deployLog, readFileSync(join(mr, '.gitops-flow/deploy.env'), 'utf8'));

    // 3. GitLab merges the MR (its pipeline succeeded): a fast-forward of main.
    gitSync(mr, ['push', '--quiet', 'origin', `${mrSha}:refs/heads/main`]);

    // 4. The default branch's pipeline: a release manager plays promote-uat.
    const main = runnerClone(remote);
    const promote = await gitlabCiLocal(main, ['--manual', 'promote-uat'], {
      vars: {
        CI_PIPELINE_SOURCE: 'push',
        CI_PIPELINE_ID: '5002',
        CI_PROJECT_PATH: 'team/env',
        CI_DEFAULT_BRANCH: 'main',
        CI_COMMIT_BRANCH: 'main',
        CI_COMMIT_REF_NAME: 'main',
      },
      secrets: { GITOPS_FLOW_GIT_TOKEN: TOKEN },
    });
    expect(promote.code, promote.output).toBe(0);
    expect(promote.output).toContain('PASS  promote-uat');
    expect(promote.output).not.toMatch(/PASS {2}(deploy-dev|promote-prod|rollback-|restore-)/);
    expect(liveImages('uat', ns('uat')).app).toBe(`${IMAGE}:${tag}`);
    const head = gitSync(remote.dir, ['rev-parse', 'main']);
    expect(gitSync(remote.dir, ['rev-parse', 'main~1'])).toBe(mrSha);
    const promoted = gitSync(remote.dir, ['log', '-1', '--format=%(trailers:only,unfold)', head]);
    expect(promoted).toContain('Gitops-Flow-Action: promote');
    expect(promoted).toContain('Gitops-Flow-From-Env: dev');
    expect(gitSync(remote.dir, ['show', `${head}:kustomizations/overlays/uat/kustomization.yaml`])).toContain(tag);
    expect(remote.rejections()).toBe(0);
    const promoteLog = promote.log('promote-uat');
    expect(SECTION.test(promoteLog)).toBe(true);
    expectNoSecret(
      promote.output,
      promoteLog,
      gitSync(remote.dir, ['log', '--all', '--format=%B']),
      gitSync(remote.dir, ['notes', '--ref=gitops-flow-verified', 'list']),
    );
  });

  it("the project pipeline's examples jobs: the render component on examples/env-repo keeps the manifest gitops-flow renders", async () => {
    // The project's own include entries, with the components and the example at the paths they have here.
    const own = parse(readFileSync(join(REPO_ROOT, '.gitlab-ci.yml'), 'utf8'), { logLevel: 'error' }) as {
      stages: string[];
      variables: Record<string, string>;
      include: { component: string }[];
    };
    const example = Object.fromEntries(
      Object.entries(filesOf(EXAMPLE_ENV_REPO)).map(([p, c]) => [`examples/env-repo/${p}`, c]),
    );
    const templates = Object.fromEntries(
      readdirSync(join(REPO_ROOT, 'templates')).map((f) => [
        `templates/${f}`,
        readFileSync(join(REPO_ROOT, 'templates', f), 'utf8'),
      ]),
    );
    const dir = makeRepo({
      ...templates,
      ...example,
      '.gitlab-ci.yml': stringify({ stages: own.stages, variables: own.variables, include: own.include }),
    });
    // The project itself: its components are included as `component: …/$CI_PROJECT_PATH/render@$CI_COMMIT_SHA`.
    gitSync(dir, ['remote', 'add', 'origin', 'git@gitlab.example.com:platform/gitops-flow.git']);
    writeFileSync(join(dir, '.git', 'info', 'exclude'), '.gitlab-ci-local/\n');
    const r = await gitlabCiLocal(dir, ['render-prod'], {
      vars: { CI_PIPELINE_SOURCE: 'merge_request_event', CI_DEFAULT_BRANCH: 'main' },
    });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('PASS  render-prod');
    const direct = await runBinary(['-C', join(dir, 'examples/env-repo'), 'render', '--env', 'prod'], {
      cwd: tempDir(),
      env: e2eEnv(),
    });
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stdout).toContain('kind: Deployment');
    expect(readFileSync(join(dir, 'examples/env-repo/.gitops-flow/rendered/prod.yaml'), 'utf8')).toBe(direct.stdout);
  });

  it("a manual restore job without GITOPS_FLOW_AT fails with the CLI's error (allowed to fail), changing nothing", async () => {
    const { remote } = envRemote();
    const before = gitSync(remote.dir, ['for-each-ref', '--format=%(refname) %(objectname)']);
    const r = await gitlabCiLocal(runnerClone(remote), ['--manual', 'restore-uat'], {
      vars: { CI_PIPELINE_SOURCE: 'push', CI_DEFAULT_BRANCH: 'main' },
      secrets: { GITOPS_FLOW_GIT_TOKEN: TOKEN },
    });
    // Recover jobs are allowed to fail (a manual job never blocks the pipeline: allow_failure), so
    // gitlab-ci-local exits 0 and reports the failed job as a warning, as GitLab shows it in orange.
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/WARN .*restore-uat\s+pre_script/);
    expect(r.output).not.toContain('PASS  restore-uat');
    expect(r.output).toMatch(/error\[[A-Z_]+\]/);
    expect(gitSync(remote.dir, ['for-each-ref', '--format=%(refname) %(objectname)'])).toBe(before);
    expectNoSecret(r.output);
  });

  it("contract: the Dagger module's deploy argv deploys for real (dev cluster)", async () => {
    const { remote, ns } = envRemote();
    const dir = cloneRemote(remote);
    const r = await runBinary(verbArgv('deploy', { env: 'dev', timeout: '90s' }, { repoDir: dir }), {
      cwd: tempDir(),
      env: e2eEnv({ GITOPS_FLOW_GIT_TOKEN: TOKEN }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(liveImages('dev', ns('dev')).app).toBe(`${IMAGE}:1.0.0`);
    const dry = await runBinary(verbArgv('deploy', { env: 'dev' }, { repoDir: dir, dryRun: true }), {
      cwd: tempDir(),
      env: e2eEnv(),
    });
    expect(dry.code, dry.stderr).toBe(0);
    expect(
      parse(readFileSync(join(dir, '.gitops-flow/rendered/dev.yaml'), 'utf8').split('\n---\n')[0] as string),
    ).toBeTruthy();
    expectNoSecret(r.stdout, r.stderr);
  });
});
