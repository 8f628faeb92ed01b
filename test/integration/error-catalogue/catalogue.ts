/** The error catalogue's shared parts: what a case is, how it is checked, the stubs and fixtures it uses. */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'vitest';
import { GitopsError } from '../../../src/core/errors.js';
import type { CommandContext } from '../../../src/core/io.js';
import { createLogger } from '../../../src/core/io.js';
import { type CliResult, cleanEnv, runCli } from '../../helpers/cli.js';
import { type ForgeStub, startForgeStub } from '../../helpers/forge-stub.js';
import { cloneRemote, exampleFiles, makeRemote, makeRepo, tempDir, writeFiles } from '../../helpers/git-fixtures.js';
import { type Registry, serveStubRegistry, startRegistry, startTokenServer } from '../../helpers/registry.js';
import { startMirror } from '../../helpers/tools-mirror.js';

export const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
export const PROD = 'kustomizations/overlays/prod/kustomization.yaml';
export const UAT = 'kustomizations/overlays/uat/kustomization.yaml';
export const withTag = (file: string, tag: string) =>
  (exampleFiles()[file] as string).replace('newTag: "1.0.0"', `newTag: "${tag}"`);

/** Triggered through the CLI, as a user would. */
export interface CliCase {
  code: string;
  exit: 1 | 2;
  /** Text of the value at fault that stderr must show (or `run` returns it, when only it knows). */
  value?: string;
  /** Text the `hint:` line must contain. */
  hint: string;
  run(): Promise<CliResult & { value?: string }>;
}

/** Not reachable from the command line (commander or a caller stops it first): the thrown error itself. */
export interface CallCase {
  code: string;
  exit: 1 | 2;
  value: string | undefined;
  hint: string;
  /** Why no command line reaches it. */
  why: string;
  call(): unknown;
}

/** A folder with executable stub scripts (first line after the shebang says STUB), put first on PATH. */
export function stubPath(stubs: Record<string, string>): string {
  const dir = tempDir('gitops-flow-stubs-');
  for (const [name, body] of Object.entries(stubs)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n# STUB ${name} for the error catalogue\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

export const withStubs = (stubs: Record<string, string>, extra: NodeJS.ProcessEnv = {}) => {
  const env = cleanEnv(extra);
  return { ...env, PATH: `${stubPath(stubs)}:${env.PATH}` };
};

/** A bare remote whose pre-receive hook (a stub) refuses every push with `message`. */
export function refusingRemote(message: string) {
  const remote = makeRemote(exampleFiles({ [DEV]: withTag(DEV, '1.4.2') }));
  const dir = cloneRemote(remote);
  writeFileSync(
    join(remote.dir, 'hooks', 'pre-receive'),
    `#!/bin/sh\n# STUB pre-receive: refuses every push\necho "${message}" >&2\nexit 1\n`,
  );
  return dir;
}

/** A kubeconfig whose only cluster listens nowhere (nothing answers on port 1). */
export function deadKubeconfig(): string {
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

export function quietContext(): CommandContext {
  const io = { cwd: tempDir(), env: cleanEnv(), stdout: new PassThrough(), stderr: new PassThrough() };
  return { io, log: createLogger(io, { verbose: false }), opts: { dryRun: false, verbose: false, json: false } };
}

export const repo = (overrides: Record<string, string | null> = {}) => makeRepo(exampleFiles(overrides));
export const clone = (overrides: Record<string, string | null> = {}) =>
  cloneRemote(makeRemote(exampleFiles(overrides)));
export const cli = (dir: string, argv: string[], env?: NodeJS.ProcessEnv) =>
  runCli(['-C', dir, ...argv], env ? { env } : {});

/** Runs `fn` with a tools download mirror on loopback serving `files` (official URL → bytes), and a fresh cache. */
export async function withMirror(files: Record<string, Buffer>, fn: (env: NodeJS.ProcessEnv) => Promise<CliResult>) {
  const mirror = await startMirror(files);
  try {
    return await fn(cleanEnv({ GITOPS_FLOW_CACHE: tempDir(), GITOPS_FLOW_TOOLS_MIRROR: mirror.url }));
  } finally {
    await mirror.close();
  }
}

/** `suggest --pin-digest` of `image` into dev of a fresh remote (a loopback registry is plain http). */
export const pinDigest = (image: string, env: NodeJS.ProcessEnv = {}) =>
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
export function dockerHome(text: string): NodeJS.ProcessEnv {
  const home = tempDir('gitops-flow-home-');
  writeFiles(home, { '.docker/config.json': text });
  return { HOME: home };
}

/** Runs `f` against a STUB registry answering with `handler`, then closes it. */
export async function withStub(
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
export async function withRegistry(
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

export const basicChallenge = (_req: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="stub"' });
  res.end();
};

/** suggest --merge-request api against a stub of the forge, arranged by `arrange` (faults, settings). */
export async function forgeSuggest(o: {
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

/** What a user sees for a case: the exit code, `error[CODE]`, the value at fault and the `hint:` line. */
export async function checkCliCase(c: CliCase): Promise<void> {
  const r = await c.run();
  expect(r.stderr, r.stderr).toContain(`error[${c.code}]: `);
  expect(r.code, r.stderr).toBe(c.exit);
  const value = r.value ?? c.value;
  expect(value, 'every CLI case names the value at fault').toBeTruthy();
  expect(r.stderr).toContain(value);
  const hint = r.stderr.split('\n').find((l) => l.startsWith('hint: '));
  expect(hint, r.stderr).toBeDefined();
  expect(hint).toContain(c.hint);
}

/** The error a call throws (or returns): its code, exit code, value and remediation. */
export async function checkCallCase(c: CallCase): Promise<void> {
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
}
