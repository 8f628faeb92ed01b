/**
 * The token over real HTTP: `suggest` (the built binary, --verbose) against `git http-backend` on
 * loopback that answers 401 without `oauth2:<token>`. With the token it pushes; without it, exit 1
 * with GIT_AUTH_FAILED. A canary token must appear nowhere: stdout, stderr, commits on the remote,
 * any `.git/config` of the clone while it exists, a render, any file created under the temp dir during
 * the test, or the argv of any process (every /proc/<pid>/cmdline, polled while the runs go, and a
 * stub git that records its argv before running the real one). Controls prove the scans find a canary
 * that is there.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runBinary } from '../helpers/cli.js';
import { recordFigures } from '../helpers/figures.js';
import { cloneRemote, exampleFiles, gitSync, makeRemote, type Remote, tempDir } from '../helpers/git-fixtures.js';
import { type GitHttpServer, serveGitHttp } from '../helpers/http-git.js';

const CANARY = `glpat-canary-${randomBytes(12).toString('hex')}`;
const NEEDLES = [CANARY, Buffer.from(`oauth2:${CANARY}`).toString('base64')];
const REAL_GIT = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

/** A stub git that appends its argv and the working copy's .git/config to `log`, then runs git. */
function argvStub(log: string): string {
  const dir = tempDir('gitops-flow-stubs-');
  writeFileSync(
    join(dir, 'git'),
    `#!/bin/sh
# STUB git: records argv (one per line) and .git/config of the working copy, then runs the real git
{ echo "argv:"; for a in "$@"; do echo "  $a"; done; [ -f .git/config ] && cat .git/config; } >> "${log}"
exec ${REAL_GIT} "$@"
`,
  );
  chmodSync(join(dir, 'git'), 0o755);
  return dir;
}

/** Every process's argv, read every 10 ms until stopped; returns the command lines holding a needle. */
function watchArgv(): () => string[] {
  const hits = new Set<string>();
  const timer = setInterval(() => {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (NEEDLES.some((n) => cmd.includes(n))) hits.add(cmd.split('\0').join(' '));
    }
  }, 10);
  return () => {
    clearInterval(timer);
    return [...hits];
  };
}

/** Files under `dir` (no symlinks followed) whose bytes contain a needle. */
function filesWithNeedle(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) continue;
    if (st.isDirectory()) filesWithNeedle(p, out);
    else if (st.isFile() && st.size < 20_000_000 && NEEDLES.some((n) => readFileSync(p).includes(n))) out.push(p);
  }
  return out;
}

const leaks = (text: string) => NEEDLES.filter((n) => text.includes(n)).length;

describe('the git token over real HTTP', () => {
  let remote: Remote;
  let server: GitHttpServer;
  const tmpBefore = new Set(readdirSync(tmpdir()));
  beforeAll(async () => {
    remote = makeRemote(exampleFiles());
    gitSync(remote.dir, ['config', 'http.receivepack', 'true']);
    server = await serveGitHttp({ root: dirname(remote.dir), token: CANARY });
  });
  afterAll(() => server.close());

  it('suggest pushes with GITOPS_FLOW_GIT_TOKEN, fails clearly without it, and the token leaks nowhere', async () => {
    const url = `${server.url}/env.git`;
    const argvLog = join(tempDir('gitops-flow-argv-'), 'git-argv.log');
    const stubs = argvStub(argvLog);
    const envWith = (extra: NodeJS.ProcessEnv) => {
      const e = cleanEnv({ GITOPS_FLOW_GIT_TOKEN: undefined, GITLAB_TOKEN: undefined, ...extra });
      return { ...e, PATH: `${stubs}:${e.PATH}` };
    };
    const stopWatch = watchArgv();

    const ok = await runBinary(
      [
        '--verbose',
        'suggest',
        '--env-repo',
        url,
        '--env',
        'dev',
        '--image',
        'application-image=registry.example.com/team/pick-manager:9.9.9',
      ],
      { cwd: tempDir(), env: envWith({ GITOPS_FLOW_GIT_TOKEN: CANARY }) },
    );
    const direct = await runBinary(
      [
        '--verbose',
        '--json',
        'suggest',
        '--env-repo',
        url,
        '--env',
        'uat',
        '--push-to-target',
        '--image',
        'application-image=registry.example.com/team/pick-manager:9.9.8',
      ],
      { cwd: tempDir(), env: envWith({ GITLAB_TOKEN: CANARY }) },
    );
    const anonymous = await runBinary(
      [
        'suggest',
        '--env-repo',
        url,
        '--env',
        'dev',
        '--image',
        'application-image=registry.example.com/team/pick-manager:9.9.7',
      ],
      { cwd: tempDir(), env: envWith({}) },
    );
    const wrong = await runBinary(
      [
        'suggest',
        '--env-repo',
        url,
        '--env',
        'dev',
        '--image',
        'application-image=registry.example.com/team/pick-manager:9.9.7',
      ],
      { cwd: tempDir(), env: envWith({ GITOPS_FLOW_GIT_TOKEN: 'not-the-token' }) },
    );
    // A render from a clone with the token in the environment: the artifact must not hold it either.
    const clone = cloneRemote(remote);
    const render = await runBinary(['-C', clone, 'render', '--env', 'uat', '--out', 'rendered/uat.yaml'], {
      cwd: clone,
      env: envWith({ GITOPS_FLOW_GIT_TOKEN: CANARY }),
    });
    // Controls: the scans do find the canary where it is (a process holding it in argv, a temp file).
    const control = spawn('sh', ['-c', 'sleep 0.3', `control-${CANARY}`]);
    await new Promise((r) => control.once('exit', r));
    const controlDir = tempDir('gitops-flow-control-');
    writeFileSync(join(controlDir, 'control'), CANARY);
    const argvHits = stopWatch();
    expect(argvHits.filter((c) => c.includes(`control-${CANARY}`))).toHaveLength(1);
    expect(filesWithNeedle(controlDir)).toEqual([join(controlDir, 'control')]);
    rmSync(controlDir, { recursive: true });
    argvHits.splice(
      argvHits.findIndex((c) => c.includes(`control-${CANARY}`)),
      1,
    );

    expect(ok.code, ok.stderr).toBe(0);
    expect(direct.code, direct.stderr).toBe(0);
    expect(JSON.parse(direct.stdout).status).toBe('pushed');
    expect(render.code, render.stderr).toBe(0);
    for (const r of [anonymous, wrong]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('error[GIT_AUTH_FAILED]');
      expect(r.stderr).toContain(url);
      expect(r.stderr).toContain('hint: Set GITOPS_FLOW_GIT_TOKEN');
    }
    expect(anonymous.stderr).toContain('no token was given');
    expect(wrong.stderr).toContain('the server refused the token');
    expect(server.counts.refused).toBeGreaterThan(0);
    // What landed: the MR branch with its push options, and uat on main.
    expect(gitSync(remote.dir, ['for-each-ref', '--format=%(refname)', 'refs/heads/gitops-flow/'])).toContain(
      'refs/heads/gitops-flow/dev/',
    );
    expect(remote.pushes().some((p) => p.options.some((o) => o.startsWith('merge_request.create')))).toBe(true);
    expect(gitSync(remote.dir, ['show', 'main:kustomizations/overlays/uat/kustomization.yaml'])).toContain('9.9.8');

    // Zero occurrences anywhere.
    const figures = {
      outputs: [ok, direct, anonymous, wrong, render].reduce((n, r) => n + leaks(r.stdout) + leaks(r.stderr), 0),
      commits: leaks(gitSync(remote.dir, ['log', '--all', '-p', '--format=%H%n%an <%ae>%n%B'])),
      gitConfigsSeen: (readFileSync(argvLog, 'utf8').match(/\[core\]/g) ?? []).length,
      argvLogLeaks: leaks(readFileSync(argvLog, 'utf8')),
      cloneConfig: leaks(readFileSync(join(clone, '.git', 'config'), 'utf8')),
      render: leaks(readFileSync(join(clone, 'rendered', 'uat.yaml'), 'utf8')),
      tempFiles: [...new Set(readdirSync(tmpdir()))]
        .filter((e) => !tmpBefore.has(e))
        .flatMap((e) => (existsSync(join(tmpdir(), e)) ? filesWithNeedle(join(tmpdir(), e)) : [])),
      processArgv: argvHits,
    };
    recordFigures('secrets-http', {
      ...figures,
      tempFiles: figures.tempFiles.length,
      processArgv: figures.processArgv.length,
    });
    expect(figures.gitConfigsSeen).toBeGreaterThan(0); // the stub did see the clones' .git/config
    expect(figures).toEqual({
      outputs: 0,
      commits: 0,
      gitConfigsSeen: figures.gitConfigsSeen,
      argvLogLeaks: 0,
      cloneConfig: 0,
      render: 0,
      tempFiles: [],
      processArgv: [],
    });
  });
});
