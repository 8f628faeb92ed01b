/**
 * What the GitLab forge tests share: the job's token (a canary), the app pipeline's CI variables, and
 * `suggest --merge-request api` against a forge STUB (test/helpers/forge-stub.ts).
 */
import { cleanEnv, runCli } from './cli.js';
import type { ForgeStub, RecordedRequest } from './forge-stub.js';

/** A canary: it must never appear in output, URLs or errors. */
export const TOKEN = 'glpat-CANARY-7f3e9a1c5b2d';
export const IMAGE = 'application-image=registry.example.com/team/pick-manager';
export const ciEnv = {
  CI_PROJECT_PATH: 'team/pick-manager',
  CI_COMMIT_SHA: '0123456789abcdef0123456789abcdef01234567',
  CI_COMMIT_REF_NAME: 'main',
  CI_PIPELINE_ID: '4242',
  CI_PIPELINE_URL: 'https://gitlab.example.com/team/pick-manager/-/pipelines/4242',
  CI_COMMIT_MESSAGE: 'Fix the order picker',
};

export const env = (extra: NodeJS.ProcessEnv = {}) => cleanEnv({ GITOPS_FLOW_GIT_TOKEN: TOKEN, ...ciEnv, ...extra });

export const suggest = (s: ForgeStub, tag: string, extra: string[] = [], e = env()) =>
  runCli(
    [
      '--json',
      'suggest',
      '--merge-request',
      'api',
      '--env-repo',
      s.repoUrl,
      '--env',
      'dev',
      '--image',
      `${IMAGE}:${tag}`,
      ...extra,
    ],
    { env: e },
  );

/** The requests to the forge's API (not git's). */
export const api = (s: ForgeStub) => s.requests.filter((r) => r.url.startsWith('/api/'));
export const bodyOf = <T>(r: RecordedRequest | undefined): T => (r?.body ?? {}) as T;
