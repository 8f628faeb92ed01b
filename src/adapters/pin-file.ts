/**
 * Pins: a rollback marks its environment as deliberately held, with a file in the overlay, so that
 * automated updates (promote, suggest) refuse to undo it until someone unpins. It lives in git:
 * reviewable, and removed by a commit.
 */
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { MAX_YAML_BYTES } from '../core/bounds.js';
import type { Environment } from '../core/config.js';
import { invalid } from '../core/errors.js';
import { confine, readRepoFile } from './repo.js';

export const PIN_FILE = 'gitops-flow-pin.yaml';

export interface Pin {
  reason: string;
  pinnedAt: string;
  commit?: string;
}

/** The pin file, confined: a committed link would otherwise make a rollback write outside the repo. */
function pinPath(root: string, env: Environment): string {
  return confine(root, join(env.overlay, PIN_FILE), `pin of ${env.name}`);
}

/** The env's pin, if it is pinned. */
export async function readPin(root: string, env: Environment): Promise<Pin | undefined> {
  const file = pinPath(root, env);
  if (!existsSync(file)) return undefined;
  const text = await readRepoFile(
    root,
    relative(root, file),
    `pin of ${env.name}`,
    MAX_YAML_BYTES,
    'PATH_OUTSIDE_REPO',
  );
  const data = (parse(text ?? '') ?? {}) as Partial<Pin>;
  return {
    reason: String(data.reason ?? 'pinned'),
    pinnedAt: String(data.pinnedAt ?? ''),
    ...(data.commit && { commit: String(data.commit) }),
  };
}

/** Writes the pin; returns its repo-relative path. */
export async function writePin(root: string, env: Environment, pin: Pin): Promise<string> {
  const file = pinPath(root, env);
  const body = [
    `# ${env.name} is pinned: promote and suggest refuse to change it (unless --force).`,
    `# Unpin with: gitops-flow unpin --env ${env.name}`,
    `reason: ${JSON.stringify(pin.reason)}`,
    `pinnedAt: ${JSON.stringify(pin.pinnedAt)}`,
    ...(pin.commit ? [`commit: ${JSON.stringify(pin.commit)}`] : []),
    '',
  ].join('\n');
  await writeFile(file, body);
  return relative(root, file);
}

/** Removes the pin; returns its repo-relative path, or undefined when there was none. */
export async function removePin(root: string, env: Environment): Promise<string | undefined> {
  const file = pinPath(root, env);
  if (!existsSync(file)) return undefined;
  await rm(file);
  return relative(root, file);
}

/** Throws exit 2 when the env is pinned and the caller did not force. */
export async function refuseIfPinned(root: string, env: Environment, verb: string, force: boolean): Promise<void> {
  const pin = await readPin(root, env);
  if (!pin || force) return;
  throw invalid(
    'ENV_PINNED',
    `${env.name} is pinned (${pin.reason}${pin.pinnedAt ? `, since ${pin.pinnedAt}` : ''}); ${verb} refuses to change it.`,
    `Unpin it with \`gitops-flow unpin --env ${env.name}\` once the cause is fixed, or pass --force to ${verb} anyway (which unpins it).`,
    env.name,
  );
}
