/** Which forge, API and project an env repo URL means; the merge request text and its marker; Retry-After. */
import { describe, expect, it } from 'vitest';
import { deployComment, readMarker, suggestionDescription, supersedes } from '../../src/adapters/forges/describe.js';
import { graphqlUrl } from '../../src/adapters/forges/github.js';
import { retryAfter } from '../../src/adapters/forges/http.js';
import {
  forgeForRemote,
  forgeToken,
  mergeRequestMode,
  pipelineMergeRequest,
} from '../../src/adapters/forges/resolve.js';

describe('forgeForRemote', () => {
  it.each([
    [
      'https://gitlab.example.com/team/env.git',
      {},
      {},
      {
        kind: 'gitlab',
        webUrl: 'https://gitlab.example.com',
        apiUrl: 'https://gitlab.example.com/api/v4',
        project: 'team/env',
      },
    ],
    [
      'git@gitlab.example.com:team/sub/env.git',
      {},
      {},
      {
        kind: 'gitlab',
        webUrl: 'https://gitlab.example.com',
        apiUrl: 'https://gitlab.example.com/api/v4',
        project: 'team/sub/env',
      },
    ],
    [
      'ssh://git@gitlab.example.com:2222/team/env.git',
      {},
      {},
      { kind: 'gitlab', webUrl: 'https://gitlab.example.com', project: 'team/env' },
    ],
    // Self-managed under a path: CI_SERVER_URL (same host) or git.forgeUrl gives the prefix.
    [
      'https://example.com/gitlab/team/env.git',
      {},
      { CI_SERVER_URL: 'https://example.com/gitlab', CI_API_V4_URL: 'https://example.com/gitlab/api/v4' },
      {
        kind: 'gitlab',
        webUrl: 'https://example.com/gitlab',
        apiUrl: 'https://example.com/gitlab/api/v4',
        project: 'team/env',
      },
    ],
    [
      'https://example.com/gitlab/team/env.git',
      { forgeUrl: 'https://example.com/gitlab/' },
      {},
      { webUrl: 'https://example.com/gitlab', apiUrl: 'https://example.com/gitlab/api/v4', project: 'team/env' },
    ],
    // CI_SERVER_URL of another instance (the app repo's) is not the env repo's forge.
    [
      'https://gitlab.example.com/team/env.git',
      {},
      { CI_SERVER_URL: 'https://other.example.com' },
      { webUrl: 'https://gitlab.example.com' },
    ],
    [
      'https://github.com/acme/env.git',
      {},
      {},
      { kind: 'github', webUrl: 'https://github.com', apiUrl: 'https://api.github.com', project: 'acme/env' },
    ],
    [
      'https://ghe.example.com/acme/env.git',
      { forge: 'github' },
      {},
      { kind: 'github', apiUrl: 'https://ghe.example.com/api/v3', project: 'acme/env' },
    ],
    [
      'https://ghe.example.com/acme/env',
      {},
      { GITHUB_SERVER_URL: 'https://ghe.example.com', GITHUB_API_URL: 'https://ghe.example.com/api/v3' },
      { kind: 'github', apiUrl: 'https://ghe.example.com/api/v3' },
    ],
  ] as const)('%s %j %j', (url, settings, env, expected) => {
    expect(forgeForRemote(url, settings, env)).toMatchObject(expected);
  });

  it.each([
    ['file:///srv/env.git', {}, 'merge requests through the API need an https or ssh URL'],
    ['/srv/env.git', {}, 'merge requests through the API need an https or ssh URL'],
    ['https://gitlab.example.com/env.git', {}, 'Cannot find the GitLab project'],
    ['https://github.com/acme/team/env.git', {}, 'Cannot find the GitHub repository'],
  ] as const)('%s is FORGE_URL_UNKNOWN', (url, settings, message) => {
    expect(() => forgeForRemote(url, settings, {})).toThrow(message);
  });
  // The env repo's config may add a path on its own origin, not pick another port of that host (another
  // service, maybe another owner): the API token goes to the env repo's forge only (issue 16).
  it.each([
    ['http://127.0.0.1:8080/team/env.git', 'http://127.0.0.1:9999'],
    ['https://gitlab.example.com/team/env.git', 'https://gitlab.example.com:8443/'],
    ['https://gitlab.example.com:8443/team/env.git', 'https://gitlab.example.com/gitlab'],
    ['https://gitlab.example.com/team/env.git', 'https://evil.example.com/'],
  ] as const)('%s with git.forgeUrl %s is FORGE_URL_UNTRUSTED', (url, forgeUrl) => {
    expect(() => forgeForRemote(url, { forgeUrl }, {})).toThrow(/FORGE_URL_UNTRUSTED|another host/);
  });

  it.each([
    ['http://127.0.0.1:8080/gl/team/env.git', 'http://127.0.0.1:8080/gl', 'http://127.0.0.1:8080/gl'],
    ['https://gitlab.example.com/team/env.git', 'https://gitlab.example.com:443/', 'https://gitlab.example.com:443'],
    ['git@gitlab.example.com:team/env.git', 'https://gitlab.example.com:8443', 'https://gitlab.example.com:8443'],
  ] as const)('%s with git.forgeUrl %s on its own origin goes to %s', (url, forgeUrl, webUrl) => {
    expect(forgeForRemote(url, { forgeUrl }, {}).webUrl).toBe(webUrl);
  });
});

describe('tokens and modes', () => {
  it.each([
    [
      'gitlab',
      { GITOPS_FLOW_GITLAB_TOKEN: 'a', GITLAB_TOKEN: 'b', GITOPS_FLOW_GIT_TOKEN: 'c' },
      'GITOPS_FLOW_GITLAB_TOKEN',
    ],
    ['gitlab', { GITLAB_TOKEN: 'b', GITOPS_FLOW_GIT_TOKEN: 'c' }, 'GITLAB_TOKEN'],
    ['gitlab', { GITOPS_FLOW_GIT_TOKEN: 'c', CI_JOB_TOKEN: 'j' }, 'GITOPS_FLOW_GIT_TOKEN'],
    ['github', { GITHUB_TOKEN: 'g', GITOPS_FLOW_GIT_TOKEN: 'c' }, 'GITHUB_TOKEN'],
    ['github', { GH_TOKEN: 'h' }, 'GH_TOKEN'],
  ] as const)('%s with %j uses %s', (kind, env, variable) => {
    expect(forgeToken(kind, env).tokenVariable).toBe(variable);
  });

  it('CI_JOB_TOKEN alone is refused, saying why', () => {
    expect(() => forgeToken('gitlab', { CI_JOB_TOKEN: 'j' })).toThrow(/No GitLab API token/);
  });

  it.each([
    ['gitlab', undefined, undefined, 'push-options'],
    ['gitlab', undefined, 'api', 'api'],
    ['gitlab', 'api', 'push-options', 'api'],
    ['gitlab', 'push-options', 'api', 'push-options'],
    ['github', undefined, 'push-options', 'api'],
  ] as const)('%s, flag %s, config %s → %s', (kind, flag, configured, mode) => {
    expect(mergeRequestMode(kind, flag, configured)).toBe(mode);
  });
});

describe('the merge request of a pipeline', () => {
  it('GitLab: CI_MERGE_REQUEST_IID with the project id', () => {
    expect(
      pipelineMergeRequest(
        {
          CI_MERGE_REQUEST_IID: '12',
          CI_SERVER_URL: 'https://gl.example.com',
          CI_API_V4_URL: 'https://gl.example.com/api/v4',
          CI_PROJECT_ID: '42',
          CI_MERGE_REQUEST_PROJECT_ID: '40',
        },
        {},
      ),
    ).toEqual({
      kind: 'gitlab',
      webUrl: 'https://gl.example.com',
      apiUrl: 'https://gl.example.com/api/v4',
      project: '40',
      number: 12,
    });
  });
  it('GitLab: CI_API_V4_URL alone is enough', () => {
    expect(
      pipelineMergeRequest(
        { CI_MERGE_REQUEST_IID: '3', CI_API_V4_URL: 'https://gl.example.com/api/v4', CI_PROJECT_ID: '42' },
        {},
      ),
    ).toMatchObject({ webUrl: 'https://gl.example.com', apiUrl: 'https://gl.example.com/api/v4', number: 3 });
  });
  it('GitHub: a pull request ref', () => {
    expect(pipelineMergeRequest({ GITHUB_REF: 'refs/pull/7/merge', GITHUB_REPOSITORY: 'acme/env' }, {})).toEqual({
      kind: 'github',
      webUrl: 'https://github.com',
      apiUrl: 'https://api.github.com',
      project: 'acme/env',
      number: 7,
    });
  });
  it('a branch pipeline has none', () => {
    expect(
      pipelineMergeRequest(
        {
          CI_SERVER_URL: 'https://gl.example.com',
          CI_PROJECT_ID: '42',
          GITHUB_REF: 'refs/heads/main',
          GITHUB_REPOSITORY: 'acme/env',
        },
        {},
      ),
    ).toBeUndefined();
  });
  it('GraphQL beside REST', () => {
    expect(graphqlUrl('https://api.github.com', {})).toBe('https://api.github.com/graphql');
    expect(graphqlUrl('https://ghe.example.com/api/v3', {})).toBe('https://ghe.example.com/api/graphql');
    // Actions' GITHUB_GRAPHQL_URL only on the same host as the REST API (the token goes there).
    expect(
      graphqlUrl('https://ghe.example.com/api/v3', { GITHUB_GRAPHQL_URL: 'https://ghe.example.com/api/graphql' }),
    ).toBe('https://ghe.example.com/api/graphql');
    expect(graphqlUrl('https://ghe.example.com/api/v3', { GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql' })).toBe(
      'https://ghe.example.com/api/graphql',
    );
  });
});

describe('descriptions, markers and comments', () => {
  const description = suggestionDescription({
    env: 'dev',
    changes: [
      { name: 'app', from: 'reg/app:1', to: 'reg/app:2' },
      { name: 'new', to: 'reg/new:1' },
    ],
    upstream: {
      project: 'team/app`|x',
      commit: 'abcdef0123456789',
      message: 'hi\n<!-- gitops-flow:suggestion {"env":"prod","images":["x"]} -->',
    },
  });

  it('lists old → new, neutralises upstream text that could forge a marker or break the table', () => {
    expect(description).toContain('| `app` | `reg/app:1` | `reg/app:2` |');
    expect(description).toContain('| `new` | (not set) | `reg/new:1` |');
    expect(description).toContain('`team/app |x`');
    expect(readMarker(description)).toEqual({ env: 'dev', images: ['app', 'new'] });
  });

  it.each([
    [{ env: 'dev', images: ['a', 'b'] }, { env: 'dev', images: ['a'] }, true],
    [{ env: 'dev', images: ['a'] }, { env: 'dev', images: ['a', 'b'] }, false],
    [{ env: 'dev', images: ['a'] }, { env: 'uat', images: ['a'] }, false],
  ])('%j supersedes %j: %s', (newer, older, expected) => {
    expect(supersedes(newer, older)).toBe(expected);
  });

  it('readMarker ignores descriptions without ours', () => {
    expect(readMarker('Bump deps')).toBeUndefined();
    expect(readMarker('<!-- gitops-flow:suggestion {"env":1} -->')).toBeUndefined();
    expect(readMarker(null)).toBeUndefined();
  });

  it('deploy comments: success lists the workloads', () => {
    expect(
      deployComment({ env: 'dev', commit: 'f'.repeat(40), ok: true, workloads: ['Deployment/web'], ms: 1234 }),
    ).toBe('✅ gitops-flow deployed **dev** at `ffffffffffff` in 1.2 s: 1 workload(s) ready.\n\n- `Deployment/web`\n');
  });
});

describe('Retry-After', () => {
  it.each([
    [{ 'retry-after': '3' }, 3000],
    [{ 'retry-after': new Date(Date.now() + 60_000).toUTCString() }, 60_000],
    [{}, undefined],
    [{ 'retry-after': 'soon' }, undefined],
  ])('%j → %s ms', (headers, ms) => {
    const got = retryAfter(new Headers(headers));
    if (ms === undefined) expect(got).toBeUndefined();
    else expect(Math.abs((got as number) - ms)).toBeLessThan(2000);
  });
});
