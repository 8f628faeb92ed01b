// The state dir shared by up.ts and down.ts.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Component, ProcessInfo } from './cluster.js';

export function stateDir(): string {
  return path.resolve(
    process.env.GITOPS_FLOW_CLUSTER_DIR ?? path.join(os.homedir(), '.cache', 'gitops-flow', 'cluster'),
  );
}

export interface ClusterState {
  name: string;
  dir: string;
  context: string;
  server: string;
  kubeconfig: string;
  pids: Partial<Record<Component, ProcessInfo>>;
}

export interface State {
  kubeconfig: string;
  startedAt: string;
  clusters: ClusterState[];
}

export async function readState(dir: string): Promise<State | undefined> {
  const file = path.join(dir, 'state.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as State;
}
