/**
 * Which failed pushes are retried (someone pushed first: fetch, replay, push again) and which are
 * reported at once (refused by the server). Texts as git, GitLab and GitHub print them.
 */
import { describe, expect, it } from 'vitest';
import { pushWasRaced } from '../../src/adapters/git.js';
import { backoffMs, PUSH_ATTEMPTS } from '../../src/steps/git/push.js';

const RACED: [string, string][] = [
  [
    'git, non-fast-forward',
    " ! [rejected]        HEAD -> main (non-fast-forward)\nerror: failed to push some refs to 'https://gitlab.example.com/team/env.git'",
  ],
  [
    'git --porcelain, fetch first',
    'To https://gitlab.example.com/team/env.git\n!\tHEAD:refs/heads/main\t[rejected] (fetch first)\nDone',
  ],
  [
    'git, fetch first (human form)',
    ' ! [rejected]        HEAD -> main (fetch first)\nhint: Updates were rejected because the remote contains work that you do not\nhint: have locally.',
  ],
  ['git, stale info', ' ! [rejected]        HEAD -> main (stale info)'],
  ['GitHub, ref moved under the push', ' ! [remote rejected] HEAD -> main (incorrect old value provided)'],
  [
    'GitLab / git receive-pack, ref lock lost',
    " ! [remote rejected] HEAD -> main (cannot lock ref 'refs/heads/main': is at 0a1b2c3d but expected 4e5f6a7b)",
  ],
  [
    'git receive-pack, lock error on a remote: line',
    "remote: error: cannot lock ref 'refs/heads/main': is at 0a1b but expected 4e5f\n!\tHEAD:refs/heads/main\t[remote rejected] (failed to update ref)",
  ],
];

const REFUSED: [string, string][] = [
  ['a pre-receive hook', ' ! [remote rejected] HEAD -> main (pre-receive hook declined)'],
  [
    'GitLab branch protection',
    'remote: GitLab: You are not allowed to push code to protected branches on this project.\n ! [remote rejected] HEAD -> main (pre-receive hook declined)',
  ],
  [
    'bad credentials',
    "remote: HTTP Basic: Access denied\nfatal: Authentication failed for 'https://gitlab.example.com/team/env.git/'",
  ],
  [
    'GitHub permissions',
    'remote: Permission to team/env.git denied to bot.\nfatal: unable to access: The requested URL returned error: 403',
  ],
];

describe('push rejections', () => {
  it.each(RACED)('%s is retried', (_what, text) => expect(pushWasRaced(text)).toBe(true));
  it.each(REFUSED)('%s is reported, not retried', (_what, text) => expect(pushWasRaced(text)).toBe(false));

  it('back off with jitter, bounded in count and in time', () => {
    const waits = Array.from({ length: 200 }, () => backoffMs(4));
    expect(new Set(waits).size).toBeGreaterThan(20); // jitter: contenders do not retry in lockstep
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(backoffMs(4, () => 0));
    let total = 0;
    for (let n = 1; n < PUSH_ATTEMPTS; n++) total += backoffMs(n, () => 1);
    expect(total).toBeLessThanOrEqual(60_000); // the worst case waits at most a minute in all
  });
});
