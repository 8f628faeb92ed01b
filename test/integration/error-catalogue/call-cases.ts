import { join } from 'node:path';
import { writeDeployEnv } from '../../../src/adapters/deploy-env.js';
import { forgeToken } from '../../../src/adapters/forges/resolve.js';
import { asGitopsError } from '../../../src/cli/main.js';
import { completionScript } from '../../../src/commands/completion/index.js';
import { suggest } from '../../../src/commands/suggest/index.js';
import { parseImageRef } from '../../../src/core/image-ref.js';
import { tempDir } from '../../helpers/git-fixtures.js';
import { type CallCase, quietContext } from './catalogue.js';

export const CALL_CASES: CallCase[] = [
  {
    code: 'IMAGE_MISSING',
    exit: 2,
    value: undefined,
    hint: '--image <name>=<newName>:<tag>',
    why: 'commander requires --image before suggest runs',
    call: () =>
      suggest(
        { envRepo: 'file:///nowhere', env: 'dev', images: [], pushToTarget: false, upstream: {} },
        quietContext(),
      ),
  },
  {
    code: 'IMAGE_REF_INVALID',
    exit: 2,
    value: 'Registry/App:1',
    hint: 'Use',
    why: 'init reports it among INIT_OPTIONS_INVALID; suggest parses --image as IMAGE_ARG_INVALID',
    call: () => parseImageRef('Registry/App:1'),
  },
  {
    code: 'SHELL_UNSUPPORTED',
    exit: 2,
    value: 'tcsh',
    hint: 'Use one of: bash, zsh, fish',
    why: 'commander checks the shell against the same list first',
    call: () => completionScript('tcsh', { globalFlags: [], dirFlags: [], commands: [] }),
  },
  {
    code: 'DOTENV_VALUE_INVALID',
    exit: 2,
    value: 'application-image=registry.example.com/a:1 latest',
    hint: 'fix the overlay',
    why: 'deploy turns a deploy.env it cannot write into a warning, never a failed deploy',
    call: () =>
      writeDeployEnv({
        path: join(tempDir(), 'deploy.env'),
        env: 'dev',
        commit: 'abc',
        images: { 'application-image': 'registry.example.com/a:1 latest' },
      }),
  },
  {
    code: 'DOTENV_TOO_LARGE',
    exit: 1,
    value: undefined,
    hint: 'Deploy fewer images',
    why: 'deploy turns a deploy.env it cannot write into a warning, never a failed deploy',
    call: () =>
      writeDeployEnv({
        path: join(tempDir(), 'deploy.env'),
        env: 'dev',
        commit: 'abc',
        images: Object.fromEntries(
          Array.from({ length: 200 }, (_, i) => [`image-${i}`, `registry.example.com/team/app-${i}:1.0.0`]),
        ),
      }),
  },
  {
    code: 'FORGE_TOKEN_MISSING',
    exit: 2,
    value: 'GITOPS_FLOW_GITLAB_TOKEN, GITLAB_TOKEN, GITOPS_FLOW_GIT_TOKEN',
    hint: 'CI_JOB_TOKEN is set but cannot',
    why: 'an https env repo needs a token for git, and each git token variable serves the API too; only an ssh env repo (a deploy key) reaches it',
    call: () => forgeToken('gitlab', { CI_JOB_TOKEN: 'job-token' }),
  },
  {
    code: 'INTERNAL',
    exit: 1,
    value: undefined,
    hint: 'This is a bug in gitops-flow',
    why: 'only a bug throws something that is not a catalogue, tool or file error',
    call: () => asGitopsError(new TypeError('x is not a function')),
  },
];
