/**
 * Issue 16, reproduction 5: a `run:` step read secrets it did not declare — the parent's tokens
 * through /proc/$PPID/environ (printed reversed, which the scrubber cannot mask), and credentials whose
 * names or values the name filter missed (MYSQL_PWD, a Slack webhook URL). The built binary runs with
 * exactly the environment a CI job would give it.
 */
import { describe, expect, it } from 'vitest';
import { cleanEnv, runBinary } from '../helpers/cli.js';
import { exampleFiles, makeRepo } from '../helpers/git-fixtures.js';

const TOKEN = 'glpat-isolation-canary-91f2';
const WEBHOOK = 'https://hooks.slack.com/services/T0000/B0000/isolationcanary';
const reverse = (s: string) => [...s].reverse().join('');

const SNOOP = [
  'sh',
  '-c',
  // Every environ this step can read: its parent's, and every process /proc lists; printed reversed.
  'for f in /proc/$PPID/environ /proc/[0-9]*/environ; do tr "\\0" "\\n" < "$f" 2>/dev/null; done | rev; echo snooped',
];

describe('run: steps see only what they declare', () => {
  it('cannot read the parent environment through /proc, reversed or not', async () => {
    const config = `pipelines:\n  snoop:\n    steps:\n      - run: ${JSON.stringify(SNOOP)}\n`;
    const dir = makeRepo(exampleFiles({ 'gitops-flow.yaml': config }));
    const r = await runBinary(['-C', dir, 'run', 'snoop'], {
      cwd: dir,
      env: cleanEnv({ GITOPS_FLOW_GIT_TOKEN: TOKEN, MYSQL_PWD: 'mysql-isolation-canary', SLACK_WEBHOOK_URL: WEBHOOK }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('snooped');
    for (const needle of [TOKEN, 'mysql-isolation-canary', 'isolationcanary'])
      for (const form of [needle, reverse(needle)]) expect(r.stdout + r.stderr).not.toContain(form);
  });

  it.each([
    ['MYSQL_PWD', 'mysql-isolation-canary'],
    ['SMTP_PASS', 'smtp-isolation-canary'],
    ['SLACK_WEBHOOK_URL', WEBHOOK],
    ['NOTIFY_URL', 'https://chat.example.com/hook?token=isolationcanary123'],
    ['DEPLOY_KEY_PEM', '-----BEGIN OPENSSH PRIVATE KEY-----\nisolationcanary\n-----END OPENSSH PRIVATE KEY-----'],
    ['SOME_VALUE', 'glpat-isolationcanary0123'],
  ])('an undeclared %s is not in the step environment; declared, it is', async (name, value) => {
    const step = (secrets: string) =>
      `pipelines:\n  env:\n    steps:\n      - run: [sh, -c, 'printf "%s" "\${${name}:-absent}" | rev; echo']\n${secrets}`;
    const hidden = await runBinary(['-C', makeRepo(exampleFiles({ 'gitops-flow.yaml': step('') })), 'run', 'env'], {
      cwd: '/',
      env: cleanEnv({ [name]: value }),
    });
    expect(hidden.code, hidden.stderr).toBe(0);
    expect(hidden.stderr).toContain('tnesba');
    const shown = await runBinary(
      ['-C', makeRepo(exampleFiles({ 'gitops-flow.yaml': step(`        secrets: [${name}]\n`) })), 'run', 'env'],
      { cwd: '/', env: cleanEnv({ [name]: value }) },
    );
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stderr).not.toContain('tnesba');
  });
});
