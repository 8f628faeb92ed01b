/**
 * Issue 16, reproductions 3 and 4: credentials go only where the caller sent them. The env repo's
 * gitops-flow.yaml cannot send the forge token to another host; a redirect from the env repo's host
 * does not carry the git token (or the push) elsewhere; a submodule's host never gets the git token.
 * The other hosts are canary listeners on 127.0.0.2 (another host to git): what reaches them is logged
 * where the end-of-run canary scan reads it.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type Serve, startCanaryListener } from '../helpers/canary-listener.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { stubPerTest } from '../helpers/forge-stub.js';
import { commitFiles, exampleFiles, gitSync, makeRemote, makeRepo, tempDir } from '../helpers/git-fixtures.js';
import { cgi, type GitHttpServer, serveGitHttp } from '../helpers/http-git.js';
import { canaryFor, canaryOn } from '../setup/canary.js';

// In canary mode the job's tokens are the run's canaries, so one that reached a listener fails the scan too.
const TOKEN = canaryOn() ? canaryFor('GITOPS_FLOW_GIT_TOKEN') : 'glpat-CANARY-credentials-5c1d';
const jobEnv = (extra: NodeJS.ProcessEnv = {}) =>
  canaryOn()
    ? cleanEnv(extra)
    : cleanEnv({ GITOPS_FLOW_GIT_TOKEN: TOKEN, GITLAB_TOKEN: TOKEN, GITHUB_TOKEN: TOKEN, ...extra });
const IMAGE = 'application-image=registry.example.com/team/pick-manager:7.7.7';
const gitAsync = (cwd: string, args: string[]) =>
  promisify(execFile)('git', args, {
    cwd,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' },
  });
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function listener(name: string, serve?: Serve, scanned = true) {
  const l = await startCanaryListener({ host: '127.0.0.2', name, scanned, ...(serve && { serve }) });
  open.push(l);
  return l;
}

describe('the forge token goes to the env repo forge, not where its config points', () => {
  const setup = stubPerTest({ kind: 'gitlab', project: 'group/env', token: TOKEN });
  it.each([
    ['git.forgeUrl (GITLAB_TOKEN)', (u: string) => `git:\n  forgeUrl: ${u}\n  mergeRequest: { mode: api }\n`],
    ['git.forge: github + forgeUrl (GITHUB_TOKEN)', (u: string) => `git:\n  forge: github\n  forgeUrl: ${u}\n`],
  ])('%s on another host: exit 2 FORGE_URL_UNTRUSTED, nothing sent there, nothing pushed', async (_, config) => {
    const other = await listener('forge-elsewhere');
    const { remote, stub } = await setup(config(other.url));
    const before = remote.pushes().length;
    const r = await runCli(['suggest', '--env-repo', stub.repoUrl, '--env', 'dev', '--image', IMAGE], {
      env: jobEnv(),
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[FORGE_URL_UNTRUSTED]');
    expect(other.requests).toEqual([]);
    expect(remote.pushes()).toHaveLength(before);
  });

  it('a forge URL the caller gives (GITOPS_FLOW_FORGE_URL) is where the token goes', async () => {
    const other = await listener('forge-by-caller', undefined, false);
    const { stub } = await setup('git:\n  mergeRequest: { mode: api }\n');
    const r = await runCli(['suggest', '--env-repo', stub.repoUrl, '--env', 'dev', '--image', IMAGE], {
      env: jobEnv({ GITOPS_FLOW_FORGE_URL: other.url }),
    });
    // The listener is no forge (404): what matters is that the caller's choice was followed.
    expect(r.code).not.toBe(0);
    expect(other.requests.length).toBeGreaterThan(0);
  });
});

describe('the git token goes to the env repo origin only', () => {
  let server: GitHttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('a redirect to another host: exit 2 GIT_REDIRECT_REFUSED, the other host sees nothing, nothing pushed there', async () => {
    const elsewhere = makeRemote(exampleFiles());
    gitSync(elsewhere.dir, ['config', 'http.receivepack', 'true']);
    const other = await listener('redirect-target', (req, res) => cgi(req, res, dirname(elsewhere.dir)));
    const redirector = await startCanaryListener({
      name: 'redirector',
      // The env repo's own host: the token may go there (it is what the caller named).
      scanned: false,
      serve: (req, res) => res.writeHead(302, { location: `${other.url}${req.url}` }).end(),
    });
    open.push(redirector);
    const r = await runCli(
      ['suggest', '--env-repo', `${redirector.url}/env.git`, '--env', 'dev', '--push-to-target', '--image', IMAGE],
      { env: jobEnv() },
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[GIT_REDIRECT_REFUSED]');
    expect(other.requests).toEqual([]);
    expect(elsewhere.pushes()).toEqual([]);
  });

  it('restore in a working copy with a submodule on another host: the submodule host gets no token', async () => {
    // The submodule: a repo served (anonymously) by a listener on 127.0.0.2.
    const lib = makeRemote({ 'README.md': 'lib v1\n' });
    const libHost = await listener('submodule-host', (req, res) => cgi(req, res, dirname(lib.dir)));
    const libUrl = `${libHost.url}/env.git`;
    const v1 = gitSync(lib.dir, ['rev-parse', 'HEAD']);
    // The env repo, on 127.0.0.1 behind the token, with the submodule at v1.
    const seed = makeRepo(
      exampleFiles({ '.gitmodules': `[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = ${libUrl}\n` }),
    );
    gitSync(seed, ['update-index', '--add', '--cacheinfo', `160000,${v1},vendor/lib`]);
    gitSync(seed, ['commit', '--quiet', '-m', 'submodule']);
    const remoteDir = join(tempDir('gitops-flow-remote-'), 'env.git');
    gitSync(dirname(remoteDir), ['clone', '--quiet', '--bare', seed, remoteDir]);
    gitSync(remoteDir, ['config', 'http.receivepack', 'true']);
    server = await serveGitHttp({ root: dirname(remoteDir), token: TOKEN });
    const auth = `http.extraHeader=Authorization: Basic ${Buffer.from(`oauth2:${TOKEN}`).toString('base64')}`;
    // The CI working copy: cloned with its submodule (the runner's checkout, before gitops-flow runs).
    const work = join(tempDir('gitops-flow-ci-'), 'env');
    // Async: the servers run in this process, a blocking git would wait on them forever.
    await gitAsync(dirname(work), ['-c', auth, 'clone', '--quiet', `${server.url}/env.git`, work]);
    await gitAsync(work, ['submodule', 'update', '--init', '--quiet']);
    // Upstream moves the submodule: a fetch that recursed would now go to its host.
    const libWork = join(tempDir('gitops-flow-lib-'), 'lib');
    gitSync(dirname(libWork), ['clone', '--quiet', lib.dir, libWork]);
    const v2 = commitFiles(libWork, { 'README.md': 'lib v2\n' }, 'v2');
    gitSync(libWork, ['push', '--quiet', 'origin', 'main']);
    gitSync(seed, ['update-index', '--cacheinfo', `160000,${v2},vendor/lib`]);
    gitSync(seed, ['commit', '--quiet', '-m', 'lib v2']);
    gitSync(seed, ['push', '--quiet', remoteDir, 'main']);
    const before = libHost.requests.length;
    writeFileSync(join(work, '.git', 'info', 'exclude'), '.gitops-flow/\n');
    const r = await runCli(['-C', work, 'restore', '--env', 'dev', '--at', 'HEAD', '--no-deploy'], { env: jobEnv() });
    expect(r.stderr).not.toContain('INTERNAL');
    expect(server.counts.served).toBeGreaterThan(0);
    expect(libHost.requests.slice(before)).toEqual([]);
    expect(libHost.withCredentials()).toEqual([]);
  });
});
