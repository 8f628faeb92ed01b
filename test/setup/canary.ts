/**
 * Canary mode (on in `npm test`; GITOPS_FLOW_CANARY=0 turns it off): every credential variable the tool
 * could read holds a canary, the e2e kubeconfig's users carry a canary token, and every temp dir the
 * run creates is under one root (TMPDIR). At the end, test/setup/canary-reporter.ts scans what the
 * tool produced — its stdout and stderr, the files under that root (rendered artifacts, `.git/config`
 * of every clone, any temp file), and every object of every git repo there (commit messages, notes) —
 * and fails the run on any occurrence.
 */
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRET_VARIABLES } from '../../src/core/scrub.js';

/** Credential variables given a canary: the ones the tool scrubs, and GOOGLE_APPLICATION_CREDENTIALS (a file). */
export const CANARY_VARIABLES = [...SECRET_VARIABLES, 'GOOGLE_APPLICATION_CREDENTIALS'];

export function canaryOn(): boolean {
  return process.env.GITOPS_FLOW_CANARY === '1' && Boolean(process.env.GITOPS_FLOW_CANARY_ROOT);
}

/** The canary strings of this run (one per variable, plus the kubeconfig's and the key file's). */
export function canaries(): string[] {
  const id = process.env.GITOPS_FLOW_CANARY_ID ?? '';
  return [...CANARY_VARIABLES, 'KUBECONFIG_TOKEN', 'GOOGLE_PRIVATE_KEY'].map(
    (v) => `gfcanary-${v.toLowerCase().replace(/_/g, '-')}-${id}`,
  );
}

export function canaryFor(name: string): string {
  return `gfcanary-${name.toLowerCase().replace(/_/g, '-')}-${process.env.GITOPS_FLOW_CANARY_ID ?? ''}`;
}

/**
 * Called once from vitest.config.ts, before any worker starts (workers inherit process.env): makes
 * the run's root dir, points TMPDIR at it and sets the canaries.
 */
export function prepareCanaryRun(): void {
  if (process.env.GITOPS_FLOW_CANARY === '0' || process.env.GITOPS_FLOW_CANARY_ROOT) return;
  const id = Math.random().toString(36).slice(2, 10);
  const root = mkdtempSync(join(tmpdir(), 'gitops-flow-run-'));
  mkdirSync(join(root, 'canary'), { recursive: true });
  process.env.GITOPS_FLOW_CANARY = '1';
  process.env.GITOPS_FLOW_CANARY_ID = id;
  process.env.GITOPS_FLOW_CANARY_ROOT = root;
  process.env.TMPDIR = root;
  for (const v of SECRET_VARIABLES) process.env[v] = canaryFor(v);
  const key = join(root, 'canary', 'google-credentials.json');
  writeFileSync(
    key,
    JSON.stringify({
      type: 'service_account',
      client_email: 'canary@example.iam.gserviceaccount.com',
      private_key: canaryFor('GOOGLE_PRIVATE_KEY'),
    }),
  );
  process.env.GOOGLE_APPLICATION_CREDENTIALS = key;
  addCanarySource(key);
}

/**
 * The canary variables to pass to the tool (empty when canary mode is off). A test that sets any
 * token variable itself (`extra`) owns the credentials: the token canaries are left out, since one of
 * higher precedence would replace the token it chose.
 */
export function canaryEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  if (!canaryOn()) return {};
  const ownsTokens = SECRET_VARIABLES.some((v) => v in extra);
  const vars = ownsTokens ? CANARY_VARIABLES.filter((v) => !SECRET_VARIABLES.includes(v)) : CANARY_VARIABLES;
  return { ...Object.fromEntries(vars.map((v) => [v, process.env[v]])), TMPDIR: process.env.TMPDIR };
}

/** A file that holds a canary on purpose (the key file, a kubeconfig): not counted as a leak. */
export function addCanarySource(file: string): void {
  const root = process.env.GITOPS_FLOW_CANARY_ROOT;
  if (root) appendFileSync(join(root, 'canary', 'sources'), `${file}\n`);
}

/** Records one captured run of the tool (stdout + stderr) for the end-of-run scan. */
export function recordOutput(argv: string[], stdout: string, stderr: string): void {
  const root = process.env.GITOPS_FLOW_CANARY_ROOT;
  if (!canaryOn() || !root) return;
  const hits = canaries().filter((c) => stdout.includes(c) || stderr.includes(c));
  appendFileSync(
    join(root, 'canary', `outputs-${process.pid}.jsonl`),
    `${JSON.stringify({ argv: argv.slice(0, 6), bytes: stdout.length + stderr.length, hits })}\n`,
  );
}
