/** Error codes of merge requests through the forge's API (a stub of the forge: test/helpers/forge-stub.ts), through the CLI. */
import { mkdirSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { cleanEnv, runCli } from '../../helpers/cli.js';
import { exampleFiles, makeRemote } from '../../helpers/git-fixtures.js';
import { serveGitHttp } from '../../helpers/http-git.js';
import { type CliCase, forgeSuggest } from './catalogue.js';

export const FORGE_CASES: CliCase[] = [
  // Merge requests through the forge's API (a stub of the forge: test/helpers/forge-stub.ts).
  {
    code: 'FORGE_AUTH_FAILED',
    exit: 1,
    value: 'GITOPS_FLOW_GITLAB_TOKEN',
    hint: 'api scope',
    run: () => forgeSuggest({ env: { GITOPS_FLOW_GITLAB_TOKEN: 'not-the-token' } }),
  },
  {
    code: 'FORGE_FORBIDDEN',
    exit: 1,
    value: 'POST /projects/group%2Fenv/merge_requests',
    hint: 'Give the token',
    run: () =>
      forgeSuggest({
        arrange: (s) =>
          s.fail({ method: 'POST', path: /\/merge_requests$/, status: 403, body: { message: '403 Forbidden' } }),
      }),
  },
  {
    code: 'FORGE_NOT_FOUND',
    exit: 1,
    value: 'GET /projects/group%2Fenv',
    hint: 'member of the project',
    run: () =>
      forgeSuggest({
        arrange: (s) =>
          s.fail({
            method: 'GET',
            path: /^\/api\/v4\/projects\/group%2Fenv$/,
            status: 404,
            body: { message: '404 Project Not Found' },
          }),
      }),
  },
  {
    code: 'FORGE_RATE_LIMITED',
    exit: 1,
    value: 'GET /projects/group%2Fenv',
    hint: 'Run again',
    run: () =>
      forgeSuggest({
        arrange: (s) =>
          s.fail({
            method: 'GET',
            path: /^\/api\/v4\/projects\/group%2Fenv$/,
            status: 429,
            headers: { 'Retry-After': '0' },
            body: 'Retry later\n',
            times: 10,
          }),
      }),
  },
  {
    code: 'FORGE_UNAVAILABLE',
    exit: 1,
    value: 'GET /projects/group%2Fenv',
    hint: 'run again later',
    run: () =>
      forgeSuggest({
        arrange: (s) =>
          s.fail({
            method: 'GET',
            path: /^\/api\/v4\/projects\/group%2Fenv$/,
            status: 503,
            headers: { 'Retry-After': '0' },
            body: 'Service Unavailable',
            times: 10,
          }),
      }),
  },
  {
    code: 'FORGE_REQUEST_FAILED',
    exit: 1,
    value: 'POST /projects/group%2Fenv/merge_requests',
    hint: 'Fix what GitLab reports',
    run: () =>
      forgeSuggest({
        arrange: (s) =>
          s.fail({
            method: 'POST',
            path: /\/merge_requests$/,
            status: 400,
            body: { message: { title: ['is too long (maximum is 255 characters)'] } },
          }),
      }),
  },
  {
    code: 'FORGE_ASSIGNEE_UNKNOWN',
    exit: 2,
    value: 'nobody-here',
    hint: 'GitLab usernames',
    run: () => forgeSuggest({ config: 'git:\n  mergeRequest:\n    assignees: [nobody-here]\n' }),
  },
  {
    code: 'MERGE_REQUEST_MODE_INVALID',
    exit: 2,
    value: 'push-options',
    hint: 'Drop --merge-request push-options',
    run: () => forgeSuggest({ kind: 'github', argv: ['--merge-request', 'push-options'] }),
  },
  {
    code: 'FORGE_URL_INSECURE',
    exit: 2,
    hint: 'https clone URL',
    run: async () => {
      // A plain-http env repo that is not on loopback by name (0.0.0.0 reaches this machine on Linux).
      const remote = makeRemote(exampleFiles());
      const server = await serveGitHttp({ root: dirname(remote.dir), token: 'git-token' });
      const url = `${server.url.replace('127.0.0.1', '0.0.0.0')}/group/env.git`;
      mkdirSync(join(dirname(remote.dir), 'group'));
      symlinkSync(remote.dir, join(dirname(remote.dir), 'group', 'env.git'));
      try {
        const r = await runCli(
          [
            'suggest',
            '--merge-request',
            'api',
            '--env-repo',
            url,
            '--env',
            'dev',
            '--image',
            'application-image=registry.example.com/a:1',
          ],
          { env: cleanEnv({ GITOPS_FLOW_GIT_TOKEN: 'git-token', GITLAB_TOKEN: 'glpat-catalogue-never-sent' }) },
        );
        expect(r.stderr).not.toContain('glpat-catalogue-never-sent');
        return { ...r, value: server.url.replace('127.0.0.1', '0.0.0.0') };
      } finally {
        await server.close();
      }
    },
  },
  {
    code: 'FORGE_URL_UNTRUSTED',
    exit: 2,
    value: 'https://elsewhere.example.com',
    hint: 'GITOPS_FLOW_FORGE_URL',
    run: async () => {
      const remote = makeRemote(
        exampleFiles({ 'gitops-flow.yaml': 'git:\n  forgeUrl: https://elsewhere.example.com\n' }),
      );
      const server = await serveGitHttp({ root: dirname(remote.dir), token: 'git-token' });
      try {
        return await runCli(
          [
            'suggest',
            '--merge-request',
            'api',
            '--env-repo',
            `${server.url}/env.git`,
            '--env',
            'dev',
            '--image',
            'application-image=registry.example.com/a:1',
          ],
          { env: cleanEnv({ GITOPS_FLOW_GIT_TOKEN: 'git-token', GITLAB_TOKEN: 'glpat-catalogue-never-sent' }) },
        );
      } finally {
        await server.close();
      }
    },
  },
  {
    code: 'GIT_REDIRECT_REFUSED',
    exit: 2,
    value: '/env.git',
    hint: 'the URL the env repo lives at now',
    run: async () => {
      const redirector = createServer((req, res) =>
        res.writeHead(301, { location: `http://127.0.0.1:1${req.url}` }).end(),
      );
      await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
      try {
        const url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/env.git`;
        return await runCli([
          'suggest',
          '--env-repo',
          url,
          '--env',
          'dev',
          '--image',
          'application-image=registry.example.com/a:1',
        ]);
      } finally {
        redirector.closeAllConnections();
        await new Promise((r) => redirector.close(r));
      }
    },
  },
  {
    code: 'FORGE_URL_UNKNOWN',
    exit: 2,
    hint: 'https (or ssh) clone URL',
    run: async () => {
      const remote = makeRemote(exampleFiles());
      const r = await runCli([
        'suggest',
        '--merge-request',
        'api',
        '--env-repo',
        remote.url,
        '--env',
        'dev',
        '--image',
        'application-image=registry.example.com/a:1',
      ]);
      return { ...r, value: remote.url };
    },
  },
];
