/**
 * The error catalogue: every code the source can raise is triggered here (or, when only a live cluster
 * can trigger it, in test/e2e/error-catalogue.e2e.test.ts), and what a user sees is checked — the exit
 * code, `error[CODE]`, the value at fault and the `hint:` line. The last test reads the codes from
 * src/ and fails when one has no entry. Stubs are shell scripts named "STUB" in their first lines.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeDeployEnv } from '../../src/adapters/deploy-env.js';
import { forgeToken } from '../../src/adapters/forges/resolve.js';
import { asGitopsError } from '../../src/cli/main.js';
import { completionScript } from '../../src/commands/completion/index.js';
import { suggest } from '../../src/commands/suggest/index.js';
import { GitopsError } from '../../src/core/errors.js';
import { parseImageRef } from '../../src/core/image-ref.js';
import type { CommandContext } from '../../src/core/io.js';
import { createLogger } from '../../src/core/io.js';
import { type CliResult, cleanEnv, runCli } from '../helpers/cli.js';
import { type ForgeStub, startForgeStub } from '../helpers/forge-stub.js';
import {
  cloneRemote,
  commitFiles,
  exampleFiles,
  gitSync,
  makeRemote,
  makeRepo,
  REPO_ROOT,
  tempDir,
  writeFiles,
} from '../helpers/git-fixtures.js';
import { serveGitHttp } from '../helpers/http-git.js';
import { racedEnv } from '../helpers/push-race.js';
import { freePort, type Registry, serveStubRegistry, startRegistry, startTokenServer } from '../helpers/registry.js';
import { startMirror } from '../helpers/tools-mirror.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const PROD = 'kustomizations/overlays/prod/kustomization.yaml';
const UAT = 'kustomizations/overlays/uat/kustomization.yaml';
const withTag = (file: string, tag: string) =>
  (exampleFiles()[file] as string).replace('newTag: "1.0.0"', `newTag: "${tag}"`);

/** Triggered through the CLI, as a user would. */
interface CliCase {
  code: string;
  exit: 1 | 2;
  /** Text of the value at fault that stderr must show (or `run` returns it, when only it knows). */
  value?: string;
  /** Text the `hint:` line must contain. */
  hint: string;
  run(): Promise<CliResult & { value?: string }>;
}

/** Not reachable from the command line (commander or a caller stops it first): the thrown error itself. */
interface CallCase {
  code: string;
  exit: 1 | 2;
  value: string | undefined;
  hint: string;
  /** Why no command line reaches it. */
  why: string;
  call(): unknown;
}

/** A folder with executable stub scripts (first line after the shebang says STUB), put first on PATH. */
function stubPath(stubs: Record<string, string>): string {
  const dir = tempDir('gitops-flow-stubs-');
  for (const [name, body] of Object.entries(stubs)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n# STUB ${name} for the error catalogue\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

const withStubs = (stubs: Record<string, string>, extra: NodeJS.ProcessEnv = {}) => {
  const env = cleanEnv(extra);
  return { ...env, PATH: `${stubPath(stubs)}:${env.PATH}` };
};

/** A bare remote whose pre-receive hook (a stub) refuses every push with `message`. */
function refusingRemote(message: string) {
  const remote = makeRemote(exampleFiles({ [DEV]: withTag(DEV, '1.4.2') }));
  const dir = cloneRemote(remote);
  writeFileSync(
    join(remote.dir, 'hooks', 'pre-receive'),
    `#!/bin/sh\n# STUB pre-receive: refuses every push\necho "${message}" >&2\nexit 1\n`,
  );
  return dir;
}

/** A kubeconfig whose only cluster listens nowhere (nothing answers on port 1). */
function deadKubeconfig(): string {
  const file = join(tempDir(), 'kubeconfig');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters: [{ name: dead, cluster: { server: "https://127.0.0.1:1" } }]
contexts: [{ name: dead, context: { cluster: dead, user: nobody } }]
current-context: dead
users: [{ name: nobody, user: { token: not-a-secret } }]
`,
  );
  return file;
}

function quietContext(): CommandContext {
  const io = { cwd: tempDir(), env: cleanEnv(), stdout: new PassThrough(), stderr: new PassThrough() };
  return { io, log: createLogger(io, { verbose: false }), opts: { dryRun: false, verbose: false, json: false } };
}

const repo = (overrides: Record<string, string | null> = {}) => makeRepo(exampleFiles(overrides));
const clone = (overrides: Record<string, string | null> = {}) => cloneRemote(makeRemote(exampleFiles(overrides)));
const cli = (dir: string, argv: string[], env?: NodeJS.ProcessEnv) => runCli(['-C', dir, ...argv], env ? { env } : {});

/** Runs `fn` with a tools download mirror on loopback serving `files` (official URL → bytes), and a fresh cache. */
async function withMirror(files: Record<string, Buffer>, fn: (env: NodeJS.ProcessEnv) => Promise<CliResult>) {
  const mirror = await startMirror(files);
  try {
    return await fn(cleanEnv({ GITOPS_FLOW_CACHE: tempDir(), GITOPS_FLOW_TOOLS_MIRROR: mirror.url }));
  } finally {
    await mirror.close();
  }
}

/** `suggest --pin-digest` of `image` into dev of a fresh remote (a loopback registry is plain http). */
const pinDigest = (image: string, env: NodeJS.ProcessEnv = {}) =>
  runCli(
    [
      'suggest',
      '--pin-digest',
      '--env-repo',
      makeRemote(exampleFiles()).url,
      '--env',
      'dev',
      '--image',
      `application-image=${image}`,
    ],
    { env: { ...cleanEnv(), ...env } },
  );

/** A HOME whose ~/.docker/config.json has exactly `text`. */
function dockerHome(text: string): NodeJS.ProcessEnv {
  const home = tempDir('gitops-flow-home-');
  writeFiles(home, { '.docker/config.json': text });
  return { HOME: home };
}

/** Runs `f` against a STUB registry answering with `handler`, then closes it. */
async function withStub(
  handler: Parameters<typeof serveStubRegistry>[0],
  f: (host: string) => Promise<CliResult>,
): Promise<CliResult> {
  const stub = await serveStubRegistry(handler);
  try {
    return await f(stub.host);
  } finally {
    await stub.close();
  }
}

/** Runs `f` against a real registry (token auth with `users` when given), then stops it. */
async function withRegistry(
  f: (r: Registry) => Promise<CliResult & { value?: string }>,
  users?: Record<string, string>,
): Promise<CliResult & { value?: string }> {
  const token = users ? await startTokenServer(users) : undefined;
  const registry = await startRegistry(token ? { token } : {});
  try {
    return await f(registry);
  } finally {
    await registry.stop();
    await token?.close();
  }
}

const basicChallenge = (_req: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="stub"' });
  res.end();
};

const REGISTRY_CASES: CliCase[] = [
  {
    code: 'IMAGE_TAG_MISSING',
    exit: 2,
    value: 'application-image',
    hint: 'Give a tag: --image application-image=registry.example.com/team/app:<tag>',
    run: () => pinDigest('registry.example.com/team/app'),
  },
  {
    code: 'REGISTRY_UNREACHABLE',
    exit: 1,
    hint: 'GITOPS_FLOW_INSECURE_REGISTRIES',
    run: async () => {
      // A port nothing listens on (bound, then released): connection refused.
      const host = `127.0.0.1:${await freePort()}`;
      return { ...(await pinDigest(`${host}/team/app:1.0.0`, {})), value: `http://${host}: ECONNREFUSED` };
    },
  },
  {
    code: 'IMAGE_TAG_NOT_FOUND',
    exit: 2,
    hint: 'that the image was pushed',
    run: () =>
      withRegistry(async (r) => ({
        ...(await pinDigest(`${r.host}/team/app:9.9.9`, {})),
        value: `${r.host}/team/app:9.9.9`,
      })),
  },
  {
    code: 'DIGEST_MISMATCH',
    exit: 2,
    value: `sha256:${'0'.repeat(64)}`,
    hint: 'pass 127.0.0.1',
    run: () =>
      withRegistry(async (r) => {
        await r.push('team/app', '1.0.0');
        return pinDigest(`${r.host}/team/app:1.0.0@sha256:${'0'.repeat(64)}`, {});
      }),
  },
  {
    code: 'REGISTRY_UNAUTHORIZED',
    exit: 1,
    hint: 'docker login 127.0.0.1',
    run: () =>
      withRegistry(
        async (r) => {
          await r.push('team/app', '1.0.0', { user: 'ci' });
          return {
            ...(await pinDigest(
              `${r.host}/team/app:1.0.0`,
              dockerHome(JSON.stringify({ auths: { [r.host]: { auth: Buffer.from('ci:wrong').toString('base64') } } })),
            )),
            value: r.host,
          };
        },
        { ci: 'right' },
      ),
  },
  {
    code: 'REGISTRY_FAILED',
    exit: 1,
    value: '429',
    hint: 'try again after 30 s',
    run: () =>
      withStub(
        (_req, res) => {
          res.writeHead(429, { 'Retry-After': '30' });
          res.end();
        },
        (host) => pinDigest(`${host}/team/app:1.0.0`, {}),
      ),
  },
  {
    code: 'REGISTRY_DIGEST_MISMATCH',
    exit: 1,
    value: `sha256:${'1'.repeat(64)}`,
    hint: 'altered the manifest',
    // The STUB omits Docker-Content-Digest on HEAD, then serves a manifest that does not hash to the digest it claims.
    run: () =>
      withStub(
        (req, res) => {
          res.writeHead(200, {
            'Content-Type': 'application/vnd.oci.image.manifest.v1+json',
            ...(req.method === 'GET' && { 'Docker-Content-Digest': `sha256:${'1'.repeat(64)}` }),
          });
          res.end(req.method === 'GET' ? '{"schemaVersion":2}' : undefined);
        },
        (host) => pinDigest(`${host}/team/app:1.0.0`, {}),
      ),
  },
  {
    code: 'REGISTRY_CREDENTIALS_INVALID',
    exit: 2,
    value: '.docker/config.json',
    hint: 'DOCKER_CONFIG',
    run: () => withStub(basicChallenge, (host) => pinDigest(`${host}/team/app:1.0.0`, dockerHome('{ "auths": '))),
  },
  {
    code: 'REGISTRY_CREDENTIAL_HELPER_FAILED',
    exit: 2,
    value: 'docker-credential-desktop',
    hint: 'Install docker-credential-desktop on PATH',
    run: () =>
      withStub(basicChallenge, (host) =>
        pinDigest(`${host}/team/app:1.0.0`, dockerHome('{ "credsStore": "desktop" }')),
      ),
  },
  {
    code: 'DIGEST_REQUIRED',
    exit: 2,
    value: 'registry.example.com/team/pick-manager:1.0.0',
    hint: 'gitops-flow suggest --pin-digest --env prod',
    run: () =>
      cli(
        repo({ 'gitops-flow.yaml': 'environments:\n  dev: {}\n  uat: {}\n  prod: { requireDigest: true }\n' }),
        ['deploy', '--env', 'prod'],
        cleanEnv({ KUBECONFIG: deadKubeconfig() }),
      ),
  },
];

/** suggest --merge-request api against a stub of the forge, arranged by `arrange` (faults, settings). */
async function forgeSuggest(o: {
  kind?: 'gitlab' | 'github';
  config?: string;
  arrange?: (s: ForgeStub) => void;
  argv?: string[];
  env?: NodeJS.ProcessEnv;
}): Promise<CliResult> {
  const kind = o.kind ?? 'gitlab';
  const token = 'forge-catalogue-token';
  const remote = makeRemote(exampleFiles(o.config ? { 'gitops-flow.yaml': o.config } : {}));
  const s = await startForgeStub({
    kind,
    project: kind === 'gitlab' ? 'group/env' : 'acme/env',
    bareDir: remote.dir,
    token,
  });
  try {
    o.arrange?.(s);
    const env = cleanEnv({
      GITOPS_FLOW_GIT_TOKEN: token,
      ...(kind === 'github' && { GITHUB_SERVER_URL: s.url, GITHUB_API_URL: `${s.url}/api/v3` }),
      ...o.env,
    });
    return await runCli(
      [
        'suggest',
        ...(o.argv ?? ['--merge-request', 'api']),
        '--env-repo',
        s.repoUrl,
        '--env',
        'dev',
        '--image',
        'application-image=registry.example.com/a:1',
      ],
      { env },
    );
  } finally {
    await s.close();
  }
}

const CLI_CASES: CliCase[] = [
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
  // Digest pinning (suggest --pin-digest, requireDigest): a real registry where one can answer, else a STUB registry.
  ...REGISTRY_CASES,
  // Releases: working copy, remote, pins, promotion rules.
  {
    code: 'WORKTREE_DIRTY',
    exit: 2,
    value: DEV,
    hint: 'Commit (or stash)',
    run: () => {
      const dir = repo();
      writeFiles(dir, { [DEV]: withTag(DEV, '9.9.9') });
      return cli(dir, ['deploy', '--env', 'dev']);
    },
  },
  {
    code: 'WRONG_BRANCH',
    exit: 2,
    value: 'hotfix',
    hint: 'git checkout main',
    run: () => {
      const dir = clone({ [DEV]: withTag(DEV, '1.4.2') });
      gitSync(dir, ['checkout', '--quiet', '-b', 'hotfix']);
      return cli(dir, ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy']);
    },
  },
  {
    code: 'BRANCH_DIVERGED',
    exit: 2,
    value: 'origin/main',
    hint: 'git pull --rebase',
    run: () => {
      const remote = makeRemote(exampleFiles({ [DEV]: withTag(DEV, '1.4.2') }));
      const mine = cloneRemote(remote);
      const theirs = cloneRemote(remote);
      commitFiles(theirs, { 'README.md': 'theirs\n' }, 'theirs');
      gitSync(theirs, ['push', '--quiet', 'origin', 'main']);
      commitFiles(mine, { 'NOTES.md': 'mine\n' }, 'mine');
      return cli(mine, ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy']);
    },
  },
  {
    code: 'GIT_AUTH_FAILED',
    exit: 1,
    value: '/env.git',
    hint: 'GITOPS_FLOW_GIT_TOKEN',
    run: async () => {
      // A real git http-backend on loopback that wants a token; none is given.
      const remote = makeRemote(exampleFiles());
      const server = await serveGitHttp({ root: dirname(remote.dir), token: 'the-right-token' });
      try {
        return await runCli(
          [
            'suggest',
            '--env-repo',
            `${server.url}/env.git`,
            '--env',
            'dev',
            '--image',
            'application-image=registry.example.com/a:1',
          ],
          { env: cleanEnv({ GITOPS_FLOW_GIT_TOKEN: undefined, GITLAB_TOKEN: undefined }) },
        );
      } finally {
        await server.close();
      }
    },
  },
  {
    code: 'PUSH_FAILED',
    exit: 1,
    value: 'main',
    hint: 'GITOPS_FLOW_GIT_TOKEN',
    run: () => cli(refusingRemote('denied by policy'), ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy']),
  },
  {
    code: 'PUSH_REJECTED',
    exit: 1,
    value: 'main',
    hint: 'nothing was force-pushed',
    run: () =>
      cli(refusingRemote('non-fast-forward (the stub refuses every push)'), [
        'promote',
        '--from',
        'dev',
        '--to',
        'uat',
        '--no-deploy',
      ]),
  },
  {
    code: 'REPLAY_CONFLICT',
    exit: 1,
    value: UAT,
    hint: `git log -p origin/main -- ${UAT}`,
    run: () => {
      // Someone deletes uat's overlay and pushes just before our push: the replay finds no overlay.
      const remote = makeRemote(exampleFiles({ [DEV]: withTag(DEV, '1.4.2') }));
      const mine = cloneRemote(remote);
      const theirs = cloneRemote(remote);
      commitFiles(theirs, { [UAT]: null }, 'uat retired');
      return cli(mine, ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy'], racedEnv(theirs));
    },
  },
  {
    code: 'REPO_LOCKED',
    exit: 1,
    value: `pid ${process.pid}`,
    hint: 'GITOPS_FLOW_LOCK_WAIT',
    run: () => {
      // This test process holds the lock (alive, same host), and the run waits 0 s for it.
      const dir = clone();
      writeFileSync(
        join(dir, '.git', 'gitops-flow.lock'),
        JSON.stringify({ pid: process.pid, hostname: hostname(), started: new Date().toISOString() }),
      );
      return cli(
        dir,
        ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy'],
        cleanEnv({ GITOPS_FLOW_LOCK_WAIT: '0s' }),
      );
    },
  },
  {
    code: 'ENV_PINNED',
    exit: 2,
    value: 'prod',
    hint: 'gitops-flow unpin --env prod',
    run: async () => {
      const dir = clone({ [PROD]: withTag(PROD, '0.9.0') });
      commitFiles(dir, { [PROD]: withTag(PROD, '1.1.0') }, 'prod 1.1.0');
      expect((await cli(dir, ['rollback', '--env', 'prod', '--no-deploy', '--no-push'])).code).toBe(0);
      return cli(dir, ['promote', '--from', 'uat', '--to', 'prod', '--no-deploy', '--no-push']);
    },
  },
  {
    code: 'PROMOTE_SAME_ENV',
    exit: 2,
    value: '"dev"',
    hint: 'two different environments',
    run: () => cli(clone(), ['promote', '--from', 'dev', '--to', 'dev']),
  },
  {
    code: 'PROMOTE_NOT_ALLOWED',
    exit: 2,
    value: 'dev → prod',
    hint: 'Promote prod from uat',
    run: () => cli(clone(), ['promote', '--from', 'dev', '--to', 'prod', '--no-deploy']),
  },
  {
    code: 'NOTHING_VERIFIED',
    exit: 2,
    value: 'dev',
    hint: 'gitops-flow deploy --env dev',
    run: () =>
      cli(clone({ 'gitops-flow.yaml': 'environments:\n  dev: {}\n  uat: { requireVerified: true }\n' }), [
        'promote',
        '--from',
        'dev',
        '--to',
        'uat',
        '--no-deploy',
      ]),
  },
  {
    code: 'SOAK_NOT_REACHED',
    exit: 2,
    hint: 'Promote again in about',
    run: async () => {
      const dir = clone({
        'gitops-flow.yaml': 'environments:\n  dev: {}\n  uat: { requireVerified: true, minSoak: 30m }\n',
      });
      const head = gitSync(dir, ['rev-parse', 'HEAD']);
      const record = {
        env: 'dev',
        commit: head,
        entries: [{ name: 'application-image', newName: 'registry.example.com/team/pick-manager', newTag: '1.0.0' }],
        images: {},
        time: new Date().toISOString(),
      };
      gitSync(dir, ['notes', '--ref=refs/notes/gitops-flow-verified', 'add', '-m', JSON.stringify(record), head]);
      return { ...(await cli(dir, ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy'])), value: record.time };
    },
  },
  {
    code: 'NOTHING_TO_PROMOTE',
    exit: 2,
    value: 'dev',
    hint: 'Set images in dev first',
    run: () =>
      cli(clone({ [DEV]: 'resources: [../../base]\n' }), ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy']),
  },
  {
    code: 'IMAGE_NOT_IN_SOURCE',
    exit: 2,
    value: '"nginx"',
    hint: 'Use one of: application-image',
    run: () => cli(clone(), ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy', '--image', 'nginx']),
  },
  // rollback and restore.
  {
    code: 'NO_PREVIOUS_RELEASE',
    exit: 2,
    value: 'kustomizations/overlays/dev',
    hint: 'Pass --to <commit>',
    run: () => cli(repo(), ['rollback', '--env', 'dev', '--no-deploy']),
  },
  {
    code: 'RESTORE_TARGET',
    exit: 2,
    value: '--all-envs',
    hint: 'gitops-flow restore --env prod --at',
    run: () => cli(repo(), ['restore', '--at', 'HEAD']),
  },
  {
    code: 'TIME_INVALID',
    exit: 2,
    value: '2026-13-45T99:00Z',
    hint: 'ISO 8601',
    run: () => cli(repo(), ['restore', '--env', 'dev', '--at', '2026-13-45T99:00Z', '--no-deploy']),
  },
  {
    code: 'NOTHING_AT_TIME',
    exit: 2,
    value: '2001-01-01T00:00Z',
    hint: 'gitops-flow history',
    run: () => cli(repo(), ['restore', '--env', 'dev', '--at', '2001-01-01T00:00Z', '--no-deploy']),
  },
  {
    code: 'ENV_ABSENT_AT',
    exit: 2,
    hint: 'Pick a later commit or time',
    run: async () => {
      const dir = repo({ [UAT]: null });
      const before = gitSync(dir, ['rev-parse', 'HEAD']);
      commitFiles(dir, { [UAT]: exampleFiles()[UAT] as string }, 'add uat');
      return {
        ...(await cli(dir, ['restore', '--env', 'uat', '--at', before, '--no-deploy'])),
        value: before.slice(0, 12),
      };
    },
  },
  {
    code: 'RESTORE_NOT_REPRODUCIBLE',
    exit: 1,
    value: 'dev',
    hint: 'a symlink',
    run: () => {
      // The base is a symlink to another folder: a restore brings the link back, not what it points to.
      const files = exampleFiles();
      const real = Object.fromEntries(Object.entries(files).filter(([k]) => !k.startsWith('kustomizations/base/')));
      for (const [k, v] of Object.entries(files))
        if (k.startsWith('kustomizations/base/'))
          real[k.replace('kustomizations/base/', 'kustomizations/real-base/')] = v;
      const dir = makeRepo(real);
      symlinkSync('real-base', join(dir, 'kustomizations/base'));
      const then = commitFiles(dir, {}, 'base is a link');
      const deployment = readFileSync(join(dir, 'kustomizations/real-base/deployment.yaml'), 'utf8');
      commitFiles(
        dir,
        { 'kustomizations/real-base/deployment.yaml': deployment.replace('replicas: 2', 'replicas: 3') },
        'three replicas',
      );
      return cli(dir, ['restore', '--env', 'dev', '--at', then, '--no-deploy']);
    },
  },
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
  // Merge requests through the forge's API (a stub of the forge: test/helpers/forge-stub.ts).
  {
    code: 'FORGE_AUTH_FAILED',
    exit: 1,
    value: 'GITOPS_FLOW_GITLAB_TOKEN',
    hint: 'api scope',
    run: () => forgeSuggest({ env: { GITOPS_FLOW_GITLAB_TOKEN: 'not-the-token' } }),
  },
  {
    code: 'FORGE_FORBIDDEN',
    exit: 1,
    value: 'POST /projects/group%2Fenv/merge_requests',
    hint: 'Give the token',
    run: () =>
      forgeSuggest({
        arrange: (s) =>
          s.fail({ method: 'POST', path: /\/merge_requests$/, status: 403, body: { message: '403 Forbidden' } }),
      }),
  },
  {
    code: 'FORGE_NOT_FOUND',
    exit: 1,
    value: 'GET /projects/group%2Fenv',
    hint: 'member of the project',
    run: () =>
      forgeSuggest({
        arrange: (s) =>
          s.fail({
            method: 'GET',
            path: /^\/api\/v4\/projects\/group%2Fenv$/,
            status: 404,
            body: { message: '404 Project Not Found' },
          }),
      }),
  },
  {
    code: 'FORGE_RATE_LIMITED',
    exit: 1,
    value: 'GET /projects/group%2Fenv',
    hint: 'Run again',
    run: () =>
      forgeSuggest({
        arrange: (s) =>
          s.fail({
            method: 'GET',
            path: /^\/api\/v4\/projects\/group%2Fenv$/,
            status: 429,
            headers: { 'Retry-After': '0' },
            body: 'Retry later\n',
            times: 10,
          }),
      }),
  },
  {
    code: 'FORGE_UNAVAILABLE',
    exit: 1,
    value: 'GET /projects/group%2Fenv',
    hint: 'run again later',
    run: () =>
      forgeSuggest({
        arrange: (s) =>
          s.fail({
            method: 'GET',
            path: /^\/api\/v4\/projects\/group%2Fenv$/,
            status: 503,
            headers: { 'Retry-After': '0' },
            body: 'Service Unavailable',
            times: 10,
          }),
      }),
  },
  {
    code: 'FORGE_REQUEST_FAILED',
    exit: 1,
    value: 'POST /projects/group%2Fenv/merge_requests',
    hint: 'Fix what GitLab reports',
    run: () =>
      forgeSuggest({
        arrange: (s) =>
          s.fail({
            method: 'POST',
            path: /\/merge_requests$/,
            status: 400,
            body: { message: { title: ['is too long (maximum is 255 characters)'] } },
          }),
      }),
  },
  {
    code: 'FORGE_ASSIGNEE_UNKNOWN',
    exit: 2,
    value: 'nobody-here',
    hint: 'GitLab usernames',
    run: () => forgeSuggest({ config: 'git:\n  mergeRequest:\n    assignees: [nobody-here]\n' }),
  },
  {
    code: 'MERGE_REQUEST_MODE_INVALID',
    exit: 2,
    value: 'push-options',
    hint: 'Drop --merge-request push-options',
    run: () => forgeSuggest({ kind: 'github', argv: ['--merge-request', 'push-options'] }),
  },
  {
    code: 'FORGE_URL_INSECURE',
    exit: 2,
    hint: 'https clone URL',
    run: async () => {
      // A plain-http env repo that is not on loopback by name (0.0.0.0 reaches this machine on Linux).
      const remote = makeRemote(exampleFiles());
      const server = await serveGitHttp({ root: dirname(remote.dir), token: 'git-token' });
      const url = `${server.url.replace('127.0.0.1', '0.0.0.0')}/group/env.git`;
      mkdirSync(join(dirname(remote.dir), 'group'));
      symlinkSync(remote.dir, join(dirname(remote.dir), 'group', 'env.git'));
      try {
        const r = await runCli(
          [
            'suggest',
            '--merge-request',
            'api',
            '--env-repo',
            url,
            '--env',
            'dev',
            '--image',
            'application-image=registry.example.com/a:1',
          ],
          { env: cleanEnv({ GITOPS_FLOW_GIT_TOKEN: 'git-token', GITLAB_TOKEN: 'glpat-catalogue-never-sent' }) },
        );
        expect(r.stderr).not.toContain('glpat-catalogue-never-sent');
        return { ...r, value: server.url.replace('127.0.0.1', '0.0.0.0') };
      } finally {
        await server.close();
      }
    },
  },
  {
    code: 'FORGE_URL_UNTRUSTED',
    exit: 2,
    value: 'https://elsewhere.example.com',
    hint: 'GITOPS_FLOW_FORGE_URL',
    run: async () => {
      const remote = makeRemote(
        exampleFiles({ 'gitops-flow.yaml': 'git:\n  forgeUrl: https://elsewhere.example.com\n' }),
      );
      const server = await serveGitHttp({ root: dirname(remote.dir), token: 'git-token' });
      try {
        return await runCli(
          [
            'suggest',
            '--merge-request',
            'api',
            '--env-repo',
            `${server.url}/env.git`,
            '--env',
            'dev',
            '--image',
            'application-image=registry.example.com/a:1',
          ],
          { env: cleanEnv({ GITOPS_FLOW_GIT_TOKEN: 'git-token', GITLAB_TOKEN: 'glpat-catalogue-never-sent' }) },
        );
      } finally {
        await server.close();
      }
    },
  },
  {
    code: 'GIT_REDIRECT_REFUSED',
    exit: 2,
    value: '/env.git',
    hint: 'the URL the env repo lives at now',
    run: async () => {
      const redirector = createServer((req, res) =>
        res.writeHead(301, { location: `http://127.0.0.1:1${req.url}` }).end(),
      );
      await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
      try {
        const url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/env.git`;
        return await runCli([
          'suggest',
          '--env-repo',
          url,
          '--env',
          'dev',
          '--image',
          'application-image=registry.example.com/a:1',
        ]);
      } finally {
        redirector.closeAllConnections();
        await new Promise((r) => redirector.close(r));
      }
    },
  },
  {
    code: 'FORGE_URL_UNKNOWN',
    exit: 2,
    hint: 'https (or ssh) clone URL',
    run: async () => {
      const remote = makeRemote(exampleFiles());
      const r = await runCli([
        'suggest',
        '--merge-request',
        'api',
        '--env-repo',
        remote.url,
        '--env',
        'dev',
        '--image',
        'application-image=registry.example.com/a:1',
      ]);
      return { ...r, value: remote.url };
    },
  },
  // The command line itself.
  { code: 'USAGE_INVALID', exit: 2, value: "'histroy'", hint: 'gitops-flow --help', run: () => runCli(['histroy']) },
];

const CALL_CASES: CallCase[] = [
  {
    code: 'IMAGE_MISSING',
    exit: 2,
    value: undefined,
    hint: '--image <name>=<newName>:<tag>',
    why: 'commander requires --image before suggest runs',
    call: () =>
      suggest(
        { envRepo: 'file:///nowhere', env: 'dev', images: [], pushToTarget: false, upstream: {} },
        quietContext(),
      ),
  },
  {
    code: 'IMAGE_REF_INVALID',
    exit: 2,
    value: 'Registry/App:1',
    hint: 'Use',
    why: 'init reports it among INIT_OPTIONS_INVALID; suggest parses --image as IMAGE_ARG_INVALID',
    call: () => parseImageRef('Registry/App:1'),
  },
  {
    code: 'SHELL_UNSUPPORTED',
    exit: 2,
    value: 'tcsh',
    hint: 'Use one of: bash, zsh, fish',
    why: 'commander checks the shell against the same list first',
    call: () => completionScript('tcsh', { globalFlags: [], dirFlags: [], commands: [] }),
  },
  {
    code: 'DOTENV_VALUE_INVALID',
    exit: 2,
    value: 'application-image=registry.example.com/a:1 latest',
    hint: 'fix the overlay',
    why: 'deploy turns a deploy.env it cannot write into a warning, never a failed deploy',
    call: () =>
      writeDeployEnv({
        path: join(tempDir(), 'deploy.env'),
        env: 'dev',
        commit: 'abc',
        images: { 'application-image': 'registry.example.com/a:1 latest' },
      }),
  },
  {
    code: 'DOTENV_TOO_LARGE',
    exit: 1,
    value: undefined,
    hint: 'Deploy fewer images',
    why: 'deploy turns a deploy.env it cannot write into a warning, never a failed deploy',
    call: () =>
      writeDeployEnv({
        path: join(tempDir(), 'deploy.env'),
        env: 'dev',
        commit: 'abc',
        images: Object.fromEntries(
          Array.from({ length: 200 }, (_, i) => [`image-${i}`, `registry.example.com/team/app-${i}:1.0.0`]),
        ),
      }),
  },
  {
    code: 'FORGE_TOKEN_MISSING',
    exit: 2,
    value: 'GITOPS_FLOW_GITLAB_TOKEN, GITLAB_TOKEN, GITOPS_FLOW_GIT_TOKEN',
    hint: 'CI_JOB_TOKEN is set but cannot',
    why: 'an https env repo needs a token for git, and each git token variable serves the API too; only an ssh env repo (a deploy key) reaches it',
    call: () => forgeToken('gitlab', { CI_JOB_TOKEN: 'job-token' }),
  },
  {
    code: 'INTERNAL',
    exit: 1,
    value: undefined,
    hint: 'This is a bug in gitops-flow',
    why: 'only a bug throws something that is not a catalogue, tool or file error',
    call: () => asGitopsError(new TypeError('x is not a function')),
  },
];

describe('error catalogue: through the CLI', () => {
  it.each(CLI_CASES.map((c) => [c.code, c] as const))('%s', async (_code, c) => {
    const r = await c.run();
    expect(r.stderr, r.stderr).toContain(`error[${c.code}]: `);
    expect(r.code, r.stderr).toBe(c.exit);
    const value = r.value ?? c.value;
    expect(value, 'every CLI case names the value at fault').toBeTruthy();
    expect(r.stderr).toContain(value);
    const hint = r.stderr.split('\n').find((l) => l.startsWith('hint: '));
    expect(hint, r.stderr).toBeDefined();
    expect(hint).toContain(c.hint);
  });
});

describe('error catalogue: codes no command line reaches', () => {
  it.each(CALL_CASES.map((c) => [c.code, c] as const))('%s', async (_code, c) => {
    let thrown: unknown;
    try {
      const returned = await c.call();
      thrown = returned instanceof GitopsError ? returned : undefined;
    } catch (e) {
      thrown = e;
    }
    expect(thrown, c.why).toBeInstanceOf(GitopsError);
    const e = thrown as GitopsError;
    expect(e.code).toBe(c.code);
    expect(e.exitCode).toBe(c.exit);
    expect(e.value).toBe(c.value);
    expect(e.remediation ?? '').toContain(c.hint);
    expect(e.remediation, 'every error says what to do').toBeTruthy();
  });
});

/** Every error code the source can raise: invalid()/failed() codes, `code: '…'` and literal `error[…]`. */
function codesInSource(): Map<string, string> {
  const codes = new Map<string, string>();
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) =>
      statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : [],
    );
  for (const file of walk(join(REPO_ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const add = (code: string) => codes.set(code, file.slice(REPO_ROOT.length));
    // The first argument of invalid(...)/failed(...) up to its comma, which may be a ternary of codes.
    for (const m of text.matchAll(/\b(?:invalid|failed)\(\s*([^,]+),/g))
      for (const c of (m[1] as string).matchAll(/'([A-Z][A-Z0-9_]+)'/g)) add(c[1] as string);
    for (const m of text.matchAll(/\bcode: '([A-Z][A-Z0-9_]+)'/g)) add(m[1] as string);
    for (const m of text.matchAll(/error\[([A-Z][A-Z0-9_]+)\]/g)) add(m[1] as string);
  }
  return codes;
}

describe('error catalogue: complete', () => {
  const e2eFile = join(REPO_ROOT, 'test/e2e/error-catalogue.e2e.test.ts');
  const e2eCodes = [...readFileSync(e2eFile, 'utf8').matchAll(/\bcode: '([A-Z][A-Z0-9_]+)'/g)].map(
    (m) => m[1] as string,
  );
  const tested = new Set([...CLI_CASES.map((c) => c.code), ...CALL_CASES.map((c) => c.code), ...e2eCodes]);

  it('every code used in src/ has an entry here or in the e2e catalogue', () => {
    const source = codesInSource();
    expect(source.size).toBeGreaterThan(40);
    const missing = [...source].filter(([code]) => !tested.has(code)).map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });

  it('no entry is for a code the source no longer has', () => {
    const source = codesInSource();
    expect([...tested].filter((c) => !source.has(c))).toEqual([]);
  });

  it('each code has one entry', () => {
    const all = [...CLI_CASES.map((c) => c.code), ...CALL_CASES.map((c) => c.code), ...e2eCodes];
    expect(all.filter((c, i) => all.indexOf(c) !== i)).toEqual([]);
  });
});
