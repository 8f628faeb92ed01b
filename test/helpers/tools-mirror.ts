/**
 * A download mirror on loopback for `gitops-flow tools install` (GITOPS_FLOW_TOOLS_MIRROR=<url>): serves
 * the given bytes at `/<host>/<path>` of each official URL, 404 for anything else, and records every
 * request. Plus the fixtures it serves: a STUB binary and a .tar.gz holding one file.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { tempDir } from './git-fixtures.js';

export interface Mirror {
  /** The value for GITOPS_FLOW_TOOLS_MIRROR. */
  url: string;
  /** Paths asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Serves `files` (official URL → bytes) on 127.0.0.1 as a mirror would. */
export async function startMirror(files: Record<string, Buffer>): Promise<Mirror> {
  const byPath = new Map(
    Object.entries(files).map(([url, body]) => [`/${new URL(url).host}${new URL(url).pathname}`, body]),
  );
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    const body = path.startsWith('/mirror/') ? byPath.get(path.slice('/mirror'.length)) : undefined;
    if (!body) {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mirror`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A STUB kubectl: reports `version` for `version --client -o json`. */
export function stubKubectlBytes(version: string): Buffer {
  return Buffer.from(
    `#!/bin/sh\n# STUB kubectl served by the test mirror\necho '{"clientVersion":{"gitVersion":"${version}"}}'\n`,
  );
}

/**
 * A .tar.gz holding `file` under the name `member` (as kustomize's release archives hold `kustomize`,
 * helm's `linux-amd64/helm`).
 */
export function tarGzOf(file: string, member: string): Buffer {
  const dir = tempDir('gitops-flow-archive-');
  mkdirSync(dirname(join(dir, member)), { recursive: true });
  copyFileSync(file, join(dir, member));
  chmodSync(join(dir, member), 0o755);
  execFileSync('tar', ['-czf', join(dir, 'archive.tar.gz'), '-C', dir, member]);
  return readFileSync(join(dir, 'archive.tar.gz'));
}
