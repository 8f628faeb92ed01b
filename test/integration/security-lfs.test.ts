/**
 * Issue 16, a gap found in review: an env repo's committed `.lfsconfig` names the host git-lfs fetches
 * large files from. On a runner with git-lfs set up (its filter in the user's git config, as GitLab
 * runners have it), a clone or checkout by gitops-flow would send a request there — a host the env repo
 * chose, not the caller. gitops-flow never smudges LFS files (GIT_LFS_SKIP_SMUDGE): manifests are not
 * LFS objects, and the pointer files stay pointers. The real git-lfs (Debian's package) runs here.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type CanaryListener, startCanaryListener } from '../helpers/canary-listener.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { exampleFiles, gitSync, makeRepo, tempDir } from '../helpers/git-fixtures.js';
import { type GitHttpServer, serveGitHttp } from '../helpers/http-git.js';
import { canaryFor, canaryOn } from '../setup/canary.js';

const TOKEN = canaryOn() ? canaryFor('GITOPS_FLOW_GIT_TOKEN') : 'glpat-CANARY-lfs-9e41';
const IMAGE = 'application-image=registry.example.com/team/pick-manager:7.7.7';
const POINTER = `version https://git-lfs.github.com/spec/v1\noid sha256:${'ab'.repeat(32)}\nsize 12\n`;

function requireGitLfs(): void {
  try {
    execFileSync('git-lfs', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('git-lfs is not installed: bash ci/setup.sh --packages installs it (Debian package git-lfs)');
  }
}

/** A user git config with git-lfs's filter, as `git lfs install` writes it on a runner. */
function lfsUserConfig(): string {
  const file = join(tempDir('gitops-flow-lfs-config-'), 'gitconfig');
  writeFileSync(
    file,
    '[filter "lfs"]\n\tclean = git-lfs clean -- %f\n\tsmudge = git-lfs smudge -- %f\n' +
      '\tprocess = git-lfs filter-process\n\trequired = true\n',
  );
  return file;
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

describe('git-lfs: the host an env repo names in .lfsconfig gets no request', () => {
  let lfsHost: CanaryListener;
  let server: GitHttpServer;
  let remoteDir: string;

  async function envRepo(): Promise<void> {
    requireGitLfs();
    lfsHost = await startCanaryListener({ host: '127.0.0.2', name: 'lfs-host' });
    open.push(lfsHost);
    const seed = makeRepo(
      exampleFiles({
        '.gitattributes': '*.bin filter=lfs diff=lfs merge=lfs -text\n',
        '.lfsconfig': `[lfs]\n\turl = ${lfsHost.url}/lfs\n`,
        'assets/blob.bin': POINTER,
      }),
    );
    remoteDir = join(tempDir('gitops-flow-remote-'), 'env.git');
    gitSync(dirname(remoteDir), ['clone', '--quiet', '--bare', seed, remoteDir]);
    gitSync(remoteDir, ['config', 'http.receivepack', 'true']);
    server = await serveGitHttp({ root: dirname(remoteDir), token: TOKEN });
    open.push(server);
  }

  it('control: a plain git clone on such a runner does fetch from it', async () => {
    await envRepo();
    const work = join(tempDir('gitops-flow-plain-'), 'env');
    // Async: the listener runs in this process. A clone from the bare repo's path carries no token.
    await promisify(execFile)('git', ['clone', '--quiet', remoteDir, work], {
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: lfsUserConfig(), GIT_TERMINAL_PROMPT: '0' },
    }).catch(() => undefined); // the listener answers 404: the smudge fails, the request was made
    expect(lfsHost.requests.length).toBeGreaterThan(0);
  });

  it('suggest clones, commits and pushes with the pointer kept, and no request reaches that host', async () => {
    await envRepo();
    const env = canaryOn() ? cleanEnv() : cleanEnv({ GITOPS_FLOW_GIT_TOKEN: TOKEN });
    const r = await runCli(
      ['suggest', '--env-repo', `${server.url}/env.git`, '--env', 'dev', '--push-to-target', '--image', IMAGE],
      { env: { ...env, GIT_CONFIG_GLOBAL: lfsUserConfig() } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(lfsHost.requests.map((q) => `${q.method} ${q.url} ${q.credentials.length}`)).toEqual([]);
    const check = join(tempDir('gitops-flow-check-'), 'env');
    gitSync(dirname(check), ['clone', '--quiet', remoteDir, check]);
    expect(readFileSync(join(check, 'assets/blob.bin'), 'utf8')).toBe(POINTER);
    expect(gitSync(check, ['log', '-1', '--format=%s'])).toContain('7.7.7');
  });
});
