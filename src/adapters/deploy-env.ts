/**
 * `deploy.env` for GitLab's `artifacts:reports:dotenv`: what a deploy released, for later jobs and for
 * `environment:url`. GitLab's parser is strict and literal: every line must be `KEY=value` (no blank
 * lines, no comments, no quoting: quotes would become part of the value, surrounding spaces are
 * stripped), and the file must stay under 5 KB. So values are written bare, one line each, and anything
 * that would not survive that (a newline, a control character) is refused instead of being mangled.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { failed, invalid, quote } from '../core/errors.js';
import { writeFileAtomic } from './repo.js';

export interface DeployEnv {
  /** Where to write the file (absolute; the caller confines it to the repo). */
  path: string;
  env: string;
  commit: string;
  /** Image name → reference, as in `status --json`. */
  images: Record<string, string>;
  /** The environment's URL, for `environment:url: $GITOPS_FLOW_ENVIRONMENT_URL`. */
  url?: string;
}

/** GitLab's default limit on a dotenv report (`dotenv_size`); larger files fail the job. */
export const DOTENV_MAX_BYTES = 5 * 1024;

/** The file's text: GITOPS_FLOW_ENV, _COMMIT, _IMAGES (`name=ref,…`, sorted) and _ENVIRONMENT_URL. */
export function deployEnvText(d: Omit<DeployEnv, 'path'>): string {
  const images = Object.entries(d.images)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, ref]) => {
      if (/[,=\s]/.test(name) || /[,\s]/.test(ref)) {
        throw invalid(
          'DOTENV_VALUE_INVALID',
          `Image ${quote(name)}=${quote(ref)} cannot be listed in GITOPS_FLOW_IMAGES.`,
          'Image names and references never contain commas, "=" (in the name) or whitespace; fix the overlay.',
          `${name}=${ref}`,
        );
      }
      return `${name}=${ref}`;
    })
    .join(',');
  const entries: [string, string][] = [
    ['GITOPS_FLOW_ENV', d.env],
    ['GITOPS_FLOW_COMMIT', d.commit],
    ['GITOPS_FLOW_IMAGES', images],
    ...(d.url === undefined ? [] : [['GITOPS_FLOW_ENVIRONMENT_URL', d.url] as [string, string]]),
  ];
  return entries.map(([key, value]) => `${key}=${safeValue(key, value)}\n`).join('');
}

/** Writes `deploy.env` atomically (temp file, then rename) and returns its text. */
export async function writeDeployEnv(d: DeployEnv): Promise<string> {
  const text = deployEnvText(d);
  const bytes = Buffer.byteLength(text);
  if (bytes >= DOTENV_MAX_BYTES) {
    throw failed(
      'DOTENV_TOO_LARGE',
      `${d.path} would be ${bytes} bytes; GitLab accepts dotenv reports under ${DOTENV_MAX_BYTES}.`,
      'Deploy fewer images per environment, or raise the instance limit `dotenv_size` (self-managed GitLab).',
    );
  }
  await mkdir(dirname(d.path), { recursive: true });
  await writeFileAtomic(d.path, text);
  return text;
}

function safeValue(key: string, value: string): string {
  // C0 controls (newline, carriage return, NUL, escape, tab…) and DEL would break GitLab's line parser
  // or the job log; leading/trailing spaces would be silently stripped by it.
  if (/[\u0000-\u001f\u007f]/.test(value) || value !== value.trim()) {
    throw invalid(
      'DOTENV_VALUE_INVALID',
      `${key} cannot be written to deploy.env: its value ${quote(value)} has a control character or surrounding spaces.`,
      'Use a single-line value without control characters (check the environment URL in gitops-flow.yaml).',
      value,
    );
  }
  return value;
}
