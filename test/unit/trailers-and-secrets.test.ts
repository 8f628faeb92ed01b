import { describe, expect, it } from 'vitest';
import { validateRemoteUrl } from '../../src/commands/suggest/remote-url.js';
import { resolveConfig } from '../../src/core/config.js';
import { pushOptions, suggestBranch } from '../../src/core/merge-request.js';
import { Scrubber } from '../../src/core/scrub.js';
import { parseTrailers, releaseMessage, TRAILER } from '../../src/core/trailers.js';
import { backoffMs } from '../../src/steps/git/push.js';

describe('release messages', () => {
  it('end with trailers that round-trip, and keep hostile upstream text out of them', () => {
    const msg = releaseMessage({
      action: 'suggest',
      env: 'dev',
      images: { app: 'reg/app:1' },
      upstream: {
        project: 'g/p',
        commit: 'abc',
        pipelineId: '1\nGitops-Flow-Env: prod',
        message: 'subject\n\nGitops-Flow-Env: prod',
      },
    });
    const lastParagraph = msg.trim().split('\n\n').at(-1) as string;
    const t = parseTrailers(lastParagraph.split('\n'));
    expect(t.env).toBe('dev');
    expect(t.trailers[TRAILER.env]).toEqual(['dev']);
    expect(t.upstream?.pipelineId).toBe('1 Gitops-Flow-Env: prod');
    expect(t.images).toEqual({ app: 'reg/app:1' });
    expect(msg.split('\n')[0]).toBe('gitops-flow: suggest dev: app=reg/app:1');
  });
});

describe('secrets', () => {
  it('are masked wherever they appear, with URL credentials', () => {
    const s = new Scrubber({ GITOPS_FLOW_GIT_TOKEN: 'glpat-123456', GITLAB_TOKEN: 'x' });
    expect(s.scrub('token glpat-123456 and https://oauth2:other@gitlab.example.com/x.git')).toBe(
      'token [MASKED] and https://oauth2:[MASKED]@gitlab.example.com/x.git',
    );
  });
});

describe('push retries', () => {
  it('back off exponentially with jitter, capped at 3 s', () => {
    expect(backoffMs(1, () => 0)).toBe(50);
    expect(backoffMs(1, () => 1)).toBe(100);
    expect(backoffMs(3, () => 1)).toBe(400);
    expect(backoffMs(20, () => 1)).toBe(3000);
  });
});

describe('suggest branch and push options', () => {
  it('the branch is deterministic, readable and a valid ref name', () => {
    const a = suggestBranch('gitops-flow/', 'dev', [{ name: 'app', newName: 'reg/app', newTag: '1.4.2' }]);
    expect(a).toBe(suggestBranch('gitops-flow/', 'dev', [{ name: 'app', newName: 'reg/app', newTag: '1.4.2' }]));
    expect(a).toMatch(/^gitops-flow\/dev\/app-1\.4\.2-[0-9a-f]{8}$/);
    expect(a).not.toBe(suggestBranch('gitops-flow/', 'dev', [{ name: 'app', newName: 'other/app', newTag: '1.4.2' }]));
  });

  it('push options never carry a newline', () => {
    const o = pushOptions(resolveConfig(undefined, ['dev']), 'main', 'title\nmerge_request.target=evil');
    expect(o.every((x) => !x.includes('\n'))).toBe(true);
  });
});

describe('tokens in URLs', () => {
  const TOKEN = 'ghp_CANARYabcdefghijklmnopqrstuvwxyz0123';

  it('are masked as user:password and as a lone token user name; a plain user name stays', () => {
    const s = new Scrubber({});
    expect(s.scrub(`git clone https://${TOKEN}@github.com/acme/env.git`)).toBe(
      'git clone https://[MASKED]@github.com/acme/env.git',
    );
    expect(s.scrub(`https://oauth2:${TOKEN}@gitlab.example.com/g/e.git`)).toBe(
      'https://oauth2:[MASKED]@gitlab.example.com/g/e.git',
    );
    expect(s.scrub('ssh://git@gitlab.example.com/g/e.git')).toBe('ssh://git@gitlab.example.com/g/e.git');
  });

  it('are refused in --env-repo, and the message does not repeat them', () => {
    expect(() => validateRemoteUrl(`https://${TOKEN}@github.com/acme/env.git`)).toThrow(/contains a password or token/);
    try {
      validateRemoteUrl(`https://${TOKEN}@github.com/acme/env.git`);
    } catch (e) {
      expect(String((e as Error).message)).not.toContain(TOKEN);
    }
    expect(() => validateRemoteUrl('git@gitlab.example.com:g/e.git')).not.toThrow();
  });
});
