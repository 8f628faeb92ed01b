/**
 * The toolbox's preflight (dagger/src/preflight.ts) run for real with the pinned kubectl: a kubeconfig a
 * container cannot use is refused with exit 2 and what to do, a loopback server is reached through the
 * bound cluster service (a TCP forwarder on the same address inside the container), and otherwise the CLI
 * runs with the argv as given. `gitops-flow` is a stand-in that prints its argv (and, when asked, talks
 * to the kubeconfig's server), since the preflight's job ends where the CLI starts.
 */
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { cliExec } from '../../dagger/src/preflight.js';
import { tempDir } from '../helpers/git-fixtures.js';

const bin = tempDir('gitops-flow-preflight-bin-');
// The stand-in CLI: prints its argv; with PREFLIGHT_PROBE=host:port, one line through that address.
writeFileSync(
  join(bin, 'gitops-flow'),
  `#!/bin/sh
printf 'argv:%s\\n' "$*"
[ -z "\${PREFLIGHT_PROBE:-}" ] || exec node -e 'const [h, p] = process.argv[1].split(":"); const s = require("node:net").connect(Number(p), h, () => s.end("ping\\n")); s.on("data", (d) => process.stdout.write("reply:" + d));' -- "$PREFLIGHT_PROBE"
`,
);
chmodSync(join(bin, 'gitops-flow'), 0o755);
const PATH = [bin, ...inject('toolPath').split(':'), dirname(process.execPath), '/usr/bin', '/bin'].join(':');

function kubeconfig(o: { server?: string; cluster?: string; user?: string } = {}): string {
  const file = join(tempDir('gitops-flow-preflight-kc-'), 'config');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: ${o.server ?? 'https://203.0.113.10:6443'}
${o.cluster ?? '    certificate-authority-data: Zm9v'}
users:
- name: u
  user:
${o.user ?? '    token: t0ken'}
contexts:
- name: ctx
  context: { cluster: c, user: u }
current-context: ctx
`,
  );
  return file;
}

/** Runs the preflight (asynchronously: the echo server of a test lives in this process). */
function preflight(
  env: Record<string, string>,
  argv = ['-C', '/repo', 'status', '--json'],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const [sh, ...args] = cliExec(argv) as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(sh, args, { env: { PATH, HOME: tempDir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

describe('the toolbox preflight', () => {
  it('without a kubeconfig, and with a self-contained one, the CLI runs with the argv as given', async () => {
    for (const env of [{}, { KUBECONFIG: kubeconfig() }] as Record<string, string>[]) {
      const r = await preflight(env, ['-C', '/repo', 'promote', '--from', 'dev', '--to', 'uat', '--reason', 'a b']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('argv:-C /repo promote --from dev --to uat --reason a b\n');
    }
  });

  it.each([
    [
      'a certificate authority file',
      { cluster: '    certificate-authority: /home/me/.minikube/ca.crt' },
      '/home/me/.minikube/ca.crt',
    ],
    [
      'client certificate files',
      { user: '    client-certificate: /home/me/c.crt\n    client-key: /home/me/c.key' },
      '/home/me/c.crt /home/me/c.key',
    ],
    ['a token file', { user: '    tokenFile: /var/run/token' }, '/var/run/token'],
  ])('%s on the host is refused with exit 2 and how to flatten it', async (_, kc, files) => {
    const r = await preflight({ KUBECONFIG: kubeconfig(kc) });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `error[KUBECONFIG_UNSUPPORTED]: the kubeconfig names files on your machine, which the container cannot read: ${files}`,
    );
    expect(r.stderr).toContain('hint: pass a self-contained kubeconfig: kubectl config view --flatten --minify');
  });

  it('an exec plugin the toolbox lacks is refused naming it; one it has is accepted', async () => {
    const exec = (cmd: string) =>
      `    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: ${cmd}\n      interactiveMode: Never`;
    const missing = await preflight({ KUBECONFIG: kubeconfig({ user: exec('aws-iam-authenticator') }) });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("the kubeconfig's exec plugin aws-iam-authenticator is not in the toolbox");
    writeFileSync(join(bin, 'gke-gcloud-auth-plugin'), '#!/bin/sh\n');
    chmodSync(join(bin, 'gke-gcloud-auth-plugin'), 0o755);
    const present = await preflight({ KUBECONFIG: kubeconfig({ user: exec('gke-gcloud-auth-plugin') }) });
    expect(present.status, present.stderr).toBe(0);
  });

  it('a loopback server that is not a host service is refused, saying to pass it', async () => {
    for (const server of ['https://127.0.0.1:6443', 'https://localhost:6443']) {
      const r = await preflight({ KUBECONFIG: kubeconfig({ server }) });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`the kubeconfig's server ${server} is your machine's loopback`);
      expect(r.stderr).toContain('--host-services tcp://localhost:6443');
    }
    const portless = await preflight({ KUBECONFIG: kubeconfig({ server: 'https://127.0.0.2' }) });
    expect(portless.status).toBe(2);
    expect(portless.stderr).toContain('use https://127.0.0.1:<port>');
  });

  it('a loopback server is reached through its host service at the same address (kubeconfig and TLS names unchanged)', async () => {
    // The "host service": an echo server on 127.0.0.2, its alias in the container; the kubeconfig names
    // 127.0.0.1:<port>, where the preflight's forwarder listens.
    const echo = createServer((s) => s.pipe(s));
    servers.push(echo);
    await new Promise<void>((r) => echo.listen(0, '127.0.0.2', r));
    const port = (echo.address() as { port: number }).port;
    const r = await preflight({
      KUBECONFIG: kubeconfig({ server: `https://127.0.0.1:${port}` }),
      GITOPS_FLOW_FORWARDS: `${port}=127.0.0.2`,
      PREFLIGHT_PROBE: `127.0.0.1:${port}`,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('reply:ping');
  });
});
