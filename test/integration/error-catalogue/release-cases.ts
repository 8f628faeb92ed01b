/** Error codes of releases (working copy, remote, pins, promotion rules), rollback and restore, through the CLI. */
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { cleanEnv, runCli } from '../../helpers/cli.js';
import {
  cloneRemote,
  commitFiles,
  exampleFiles,
  gitSync,
  makeRemote,
  makeRepo,
  writeFiles,
} from '../../helpers/git-fixtures.js';
import { serveGitHttp } from '../../helpers/http-git.js';
import { racedEnv } from '../../helpers/push-race.js';
import { type CliCase, cli, clone, DEV, PROD, refusingRemote, repo, UAT, withTag } from './catalogue.js';

export const RELEASE_CASES: CliCase[] = [
  // Releases: working copy, remote, pins, promotion rules.
  {
    code: 'WORKTREE_DIRTY',
    exit: 2,
    value: DEV,
    hint: 'Commit (or stash)',
    run: () => {
      const dir = repo();
      writeFiles(dir, { [DEV]: withTag(DEV, '9.9.9') });
      return cli(dir, ['deploy', '--env', 'dev']);
    },
  },
  {
    code: 'WRONG_BRANCH',
    exit: 2,
    value: 'hotfix',
    hint: 'git checkout main',
    run: () => {
      const dir = clone({ [DEV]: withTag(DEV, '1.4.2') });
      gitSync(dir, ['checkout', '--quiet', '-b', 'hotfix']);
      return cli(dir, ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy']);
    },
  },
  {
    code: 'BRANCH_DIVERGED',
    exit: 2,
    value: 'origin/main',
    hint: 'git pull --rebase',
    run: () => {
      const remote = makeRemote(exampleFiles({ [DEV]: withTag(DEV, '1.4.2') }));
      const mine = cloneRemote(remote);
      const theirs = cloneRemote(remote);
      commitFiles(theirs, { 'README.md': 'theirs\n' }, 'theirs');
      gitSync(theirs, ['push', '--quiet', 'origin', 'main']);
      commitFiles(mine, { 'NOTES.md': 'mine\n' }, 'mine');
      return cli(mine, ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy']);
    },
  },
  {
    code: 'GIT_AUTH_FAILED',
    exit: 1,
    value: '/env.git',
    hint: 'GITOPS_FLOW_GIT_TOKEN',
    run: async () => {
      // A real git http-backend on loopback that wants a token; none is given.
      const remote = makeRemote(exampleFiles());
      const server = await serveGitHttp({ root: dirname(remote.dir), token: 'the-right-token' });
      try {
        return await runCli(
          [
            'suggest',
            '--env-repo',
            `${server.url}/env.git`,
            '--env',
            'dev',
            '--image',
            'application-image=registry.example.com/a:1',
          ],
          { env: cleanEnv({ GITOPS_FLOW_GIT_TOKEN: undefined, GITLAB_TOKEN: undefined }) },
        );
      } finally {
        await server.close();
      }
    },
  },
  {
    code: 'PUSH_FAILED',
    exit: 1,
    value: 'main',
    hint: 'GITOPS_FLOW_GIT_TOKEN',
    run: () => cli(refusingRemote('denied by policy'), ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy']),
  },
  {
    code: 'PUSH_REJECTED',
    exit: 1,
    value: 'main',
    hint: 'nothing was force-pushed',
    run: () =>
      cli(refusingRemote('non-fast-forward (the stub refuses every push)'), [
        'promote',
        '--from',
        'dev',
        '--to',
        'uat',
        '--no-deploy',
      ]),
  },
  {
    code: 'REPLAY_CONFLICT',
    exit: 1,
    value: UAT,
    hint: `git log -p origin/main -- ${UAT}`,
    run: () => {
      // Someone deletes uat's overlay and pushes just before our push: the replay finds no overlay.
      const remote = makeRemote(exampleFiles({ [DEV]: withTag(DEV, '1.4.2') }));
      const mine = cloneRemote(remote);
      const theirs = cloneRemote(remote);
      commitFiles(theirs, { [UAT]: null }, 'uat retired');
      return cli(mine, ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy'], racedEnv(theirs));
    },
  },
  {
    code: 'REPO_LOCKED',
    exit: 1,
    value: `pid ${process.pid}`,
    hint: 'GITOPS_FLOW_LOCK_WAIT',
    run: () => {
      // This test process holds the lock (alive, same host), and the run waits 0 s for it.
      const dir = clone();
      writeFileSync(
        join(dir, '.git', 'gitops-flow.lock'),
        JSON.stringify({ pid: process.pid, hostname: hostname(), started: new Date().toISOString() }),
      );
      return cli(
        dir,
        ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy'],
        cleanEnv({ GITOPS_FLOW_LOCK_WAIT: '0s' }),
      );
    },
  },
  {
    code: 'ENV_PINNED',
    exit: 2,
    value: 'prod',
    hint: 'gitops-flow unpin --env prod',
    run: async () => {
      const dir = clone({ [PROD]: withTag(PROD, '0.9.0') });
      commitFiles(dir, { [PROD]: withTag(PROD, '1.1.0') }, 'prod 1.1.0');
      expect((await cli(dir, ['rollback', '--env', 'prod', '--no-deploy', '--no-push'])).code).toBe(0);
      return cli(dir, ['promote', '--from', 'uat', '--to', 'prod', '--no-deploy', '--no-push']);
    },
  },
  {
    code: 'PROMOTE_SAME_ENV',
    exit: 2,
    value: '"dev"',
    hint: 'two different environments',
    run: () => cli(clone(), ['promote', '--from', 'dev', '--to', 'dev']),
  },
  {
    code: 'PROMOTE_NOT_ALLOWED',
    exit: 2,
    value: 'dev → prod',
    hint: 'Promote prod from uat',
    run: () => cli(clone(), ['promote', '--from', 'dev', '--to', 'prod', '--no-deploy']),
  },
  {
    code: 'NOTHING_VERIFIED',
    exit: 2,
    value: 'dev',
    hint: 'gitops-flow deploy --env dev',
    run: () =>
      cli(clone({ 'gitops-flow.yaml': 'environments:\n  dev: {}\n  uat: { requireVerified: true }\n' }), [
        'promote',
        '--from',
        'dev',
        '--to',
        'uat',
        '--no-deploy',
      ]),
  },
  {
    code: 'SOAK_NOT_REACHED',
    exit: 2,
    hint: 'Promote again in about',
    run: async () => {
      const dir = clone({
        'gitops-flow.yaml': 'environments:\n  dev: {}\n  uat: { requireVerified: true, minSoak: 30m }\n',
      });
      const head = gitSync(dir, ['rev-parse', 'HEAD']);
      const record = {
        env: 'dev',
        commit: head,
        entries: [{ name: 'application-image', newName: 'registry.example.com/team/pick-manager', newTag: '1.0.0' }],
        images: {},
        time: new Date().toISOString(),
      };
      gitSync(dir, ['notes', '--ref=refs/notes/gitops-flow-verified', 'add', '-m', JSON.stringify(record), head]);
      return { ...(await cli(dir, ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy'])), value: record.time };
    },
  },
  {
    code: 'NOTHING_TO_PROMOTE',
    exit: 2,
    value: 'dev',
    hint: 'Set images in dev first',
    run: () =>
      cli(clone({ [DEV]: 'resources: [../../base]\n' }), ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy']),
  },
  {
    code: 'IMAGE_NOT_IN_SOURCE',
    exit: 2,
    value: '"nginx"',
    hint: 'Use one of: application-image',
    run: () => cli(clone(), ['promote', '--from', 'dev', '--to', 'uat', '--no-deploy', '--image', 'nginx']),
  },
  {
    code: 'IMAGE_NOT_IN_RENDER',
    exit: 2,
    value: 'aplication-image',
    hint: 'application-image (registry.example.com/team/pick-manager',
    run: () =>
      cli(repo(), [
        'suggest',
        '--env-repo',
        makeRemote(exampleFiles()).url,
        '--env',
        'dev',
        '--image',
        'aplication-image=registry.example.com/team/pick-manager:1.5.0',
      ]),
  },
  // rollback and restore.
  {
    code: 'SHARED_FILES',
    exit: 2,
    value: 'dev,uat',
    hint: '--include-shared',
    run: () => {
      const dir = repo();
      const then = gitSync(dir, ['rev-parse', 'HEAD']);
      const base = 'kustomizations/base/deployment.yaml';
      commitFiles(dir, { [base]: `${readFileSync(join(dir, base), 'utf8')}# changed\n` }, 'base changed');
      return cli(dir, ['restore', '--env', 'prod', '--at', then, '--no-deploy']);
    },
  },
  {
    code: 'NO_PREVIOUS_RELEASE',
    exit: 2,
    value: 'kustomizations/overlays/dev',
    hint: 'Pass --to <commit>',
    run: () => cli(repo(), ['rollback', '--env', 'dev', '--no-deploy']),
  },
  {
    code: 'RESTORE_TARGET',
    exit: 2,
    value: '--all-envs',
    hint: 'gitops-flow restore --env prod --at',
    run: () => cli(repo(), ['restore', '--at', 'HEAD']),
  },
  {
    code: 'TIME_INVALID',
    exit: 2,
    value: '2026-13-45T99:00Z',
    hint: 'ISO 8601',
    run: () => cli(repo(), ['restore', '--env', 'dev', '--at', '2026-13-45T99:00Z', '--no-deploy']),
  },
  {
    code: 'NOTHING_AT_TIME',
    exit: 2,
    value: '2001-01-01T00:00Z',
    hint: 'gitops-flow history',
    run: () => cli(repo(), ['restore', '--env', 'dev', '--at', '2001-01-01T00:00Z', '--no-deploy']),
  },
  {
    code: 'ENV_ABSENT_AT',
    exit: 2,
    hint: 'Pick a later commit or time',
    run: async () => {
      const dir = repo({ [UAT]: null });
      const before = gitSync(dir, ['rev-parse', 'HEAD']);
      commitFiles(dir, { [UAT]: exampleFiles()[UAT] as string }, 'add uat');
      return {
        ...(await cli(dir, ['restore', '--env', 'uat', '--at', before, '--no-deploy'])),
        value: before.slice(0, 12),
      };
    },
  },
  {
    code: 'RESTORE_NOT_REPRODUCIBLE',
    exit: 1,
    value: 'dev',
    hint: 'a symlink',
    run: () => {
      // The base is a symlink to another folder: a restore brings the link back, not what it points to.
      const files = exampleFiles();
      const real = Object.fromEntries(Object.entries(files).filter(([k]) => !k.startsWith('kustomizations/base/')));
      for (const [k, v] of Object.entries(files))
        if (k.startsWith('kustomizations/base/'))
          real[k.replace('kustomizations/base/', 'kustomizations/real-base/')] = v;
      const dir = makeRepo(real);
      symlinkSync('real-base', join(dir, 'kustomizations/base'));
      const then = commitFiles(dir, {}, 'base is a link');
      const deployment = readFileSync(join(dir, 'kustomizations/real-base/deployment.yaml'), 'utf8');
      commitFiles(
        dir,
        { 'kustomizations/real-base/deployment.yaml': deployment.replace('replicas: 2', 'replicas: 3') },
        'three replicas',
      );
      return cli(dir, ['restore', '--env', 'dev', '--at', then, '--no-deploy']);
    },
  },
];
