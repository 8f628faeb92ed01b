/**
 * Isolation of `run:` steps: each runs in its own PID namespace with a fresh /proc (util-linux
 * `unshare`), so it cannot read the environment of gitops-flow's process or of any other
 * (`/proc/<pid>/environ` holds the tokens the job gave gitops-flow). As root a PID and mount namespace
 * suffice; otherwise an unprivileged user namespace holds them. Where neither works (no unshare, a
 * container that forbids namespaces, macOS), steps run unisolated and `doctor` and a warning say so.
 */

import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Logger } from '../core/io.js';
import { exec } from './exec.js';

const NAMESPACES = ['--pid', '--fork', '--mount-proc', '--kill-child'];

/** The ways to isolate, tried in order: as root; mapping our own uid; mapping root (older util-linux). */
const CANDIDATES: string[][] = [
  ['unshare', ...NAMESPACES, '--'],
  ['unshare', '--user', '--map-current-user', ...NAMESPACES, '--'],
  ['unshare', '--user', '--map-root-user', ...NAMESPACES, '--'],
];

let probed: Promise<string[] | undefined> | undefined;

/** The argv prefix that isolates a command here, or undefined when the platform cannot (probed once). */
export function isolationPrefix(env: NodeJS.ProcessEnv, log: Logger): Promise<string[] | undefined> {
  probed ??= (async () => {
    if (process.platform !== 'linux') return undefined;
    // By absolute path: a step's PATH is the step's, and unshare lives in the system's directories.
    const unshare = [...(env.PATH ?? '').split(delimiter), '/usr/bin', '/bin', '/usr/sbin', '/sbin']
      .filter(Boolean)
      .map((d) => join(d, 'unshare'))
      .find((f) => existsSync(f));
    if (!unshare) return undefined;
    for (const [, ...flags] of CANDIDATES) {
      const prefix = [unshare, ...flags];
      const r = await exec([...prefix, '/bin/sh', '-c', 'exit 0'], {
        cwd: '/',
        env: { PATH: '/usr/bin:/bin' },
        log,
        allowFailure: true,
      }).catch(() => undefined);
      if (r?.exitCode === 0) return prefix;
    }
    return undefined;
  })();
  return probed;
}

/** What doctor and the warning say when steps cannot be isolated. */
export const UNISOLATED =
  "run: steps are not isolated on this machine (no usable `unshare` PID namespace: not Linux, util-linux missing, or namespaces forbidden): a step can read gitops-flow's environment through /proc. Declare no secrets you would not give every step, or run where namespaces are allowed (see docs/security.md).";
