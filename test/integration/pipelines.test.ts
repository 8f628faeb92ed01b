/**
 * Pipelines of gitops-flow.yaml on real git remotes: outputs, conditions, failure paths, timeouts,
 * retries, secrets, hooks into the verbs, each standalone built-in step on its own, the plan of
 * --dry-run, and validation. (The deploy steps against a control plane: test/e2e/pipelines.e2e.test.ts.)
 *
 * This file: outputs, conditions, failure paths, secrets, script paths.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { cloneRemote, exampleFiles, makeRemote, snapshot, tempDir } from '../helpers/git-fixtures.js';

/** An env repo (a clone of a bare remote) whose gitops-flow.yaml is `yaml`, plus executable scripts. */
function repoWith(yaml: string, scripts: Record<string, string> = {}, files: Record<string, string> = {}) {
  const all: Record<string, string> = { ...exampleFiles(files), 'gitops-flow.yaml': yaml };
  for (const [path, body] of Object.entries(scripts)) all[path] = `#!/bin/sh\n${body}\n`;
  const remote = makeRemote(all);
  const dir = cloneRemote(remote);
  for (const path of Object.keys(scripts)) chmodSync(join(dir, path), 0o755);
  return { remote, dir };
}

const json = (stdout: string) =>
  JSON.parse(stdout) as {
    steps: { id: string | null; name: string; result: string; outputs: Record<string, string> }[];
  };

describe('run: outputs and conditions', () => {
  it('a step writes outputs (key=value and key<<DELIM) that later steps read in argv and conditions', async () => {
    const { dir } = repoWith(
      `
pipelines:
  release:
    inputs:
      target: { required: true }
      announce: { default: true }
    steps:
      - id: version
        run: scripts/version.sh
      - id: echo
        run: [sh, -c, 'echo "v=$1 notes=$2 env=$3" > result.txt; echo "seen=$1" >> "$GITOPS_FLOW_OUTPUT"', x, '\${{ steps.version.outputs.version }}', '\${{ steps.version.outputs.notes }}', '\${{ inputs.target }}']
      - name: only for prod
        if: \${{ inputs.target == 'prod' }}
        run: [touch, prod-only]
      - name: numeric comparison
        if: steps.version.outputs.build > 9
        run: [touch, big-build]
      - name: announce
        if: \${{ inputs.announce && startsWith(steps.echo.outputs.seen, '1.') }}
        run: [touch, announced]
`,
      {
        'scripts/version.sh':
          'echo version=1.4.2 >> "$GITOPS_FLOW_OUTPUT"\necho build=10 >> "$GITOPS_FLOW_OUTPUT"\nprintf "notes<<EOF\\nline one\\nline two\\nEOF\\n" >> "$GITOPS_FLOW_OUTPUT"',
      },
    );
    const r = await runCli(['-C', dir, '--json', 'run', 'release', '--input', 'target=uat']);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'result.txt'), 'utf8')).toBe('v=1.4.2 notes=line one\nline two env=uat\n');
    expect(existsSync(join(dir, 'prod-only'))).toBe(false);
    expect(existsSync(join(dir, 'big-build'))).toBe(true);
    expect(existsSync(join(dir, 'announced'))).toBe(true);
    const out = json(r.stdout);
    expect(out.steps.map((s) => [s.name, s.result])).toEqual([
      ['version', 'succeeded'],
      ['echo', 'succeeded'],
      ['only for prod', 'not-run'],
      ['numeric comparison', 'succeeded'],
      ['announce', 'succeeded'],
    ]);
    expect(out.steps[0]?.outputs).toEqual({ version: '1.4.2', build: '10', notes: 'line one\nline two' });
  });

  it('--dry-run prints the plan (steps, conditions, inputs) and runs nothing', async () => {
    const { dir } = repoWith(`
pipelines:
  release:
    inputs: { target: { default: dev } }
    steps:
      - id: smoke
        run: [touch, ran]
      - uses: promote
        with: { from: dev, to: '\${{ inputs.target }}', deploy: false }
        if: failure()
`);
    const before = snapshot(dir);
    const r = await runCli(['-C', dir, '--dry-run', 'run', 'release', '--input', 'target=uat']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Plan of pipeline release; nothing is run.');
    expect(r.stderr).toContain('inputs: target=uat');
    expect(r.stderr).toContain('1. smoke [smoke]: run touch ran');
    expect(r.stderr).toContain('2. promote: uses promote with from=dev, to=uat, deploy=false (if: failure())');
    expect(snapshot(dir)).toBe(before);
  });
});

describe('run: failure paths, timeouts, retries', () => {
  it('after a failure only failure()/always() steps run; continue-on-error does not fail the pipeline; exit 1', async () => {
    const { dir } = repoWith(`
pipelines:
  release:
    steps:
      - name: flaky but tolerated
        run: [sh, -c, 'exit 3']
        continue-on-error: true
      - name: smoke
        run: [sh, -c, 'echo "smoke test: 503 from /healthz"; exit 1']
      - name: never
        run: [touch, never]
      - name: on failure
        if: failure()
        run: [touch, failed]
      - name: cleanup
        if: always()
        run: [touch, cleaned]
`);
    const r = await runCli(['-C', dir, 'run', 'release']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[STEP_FAILED]: Step "smoke" exited with 1.');
    expect(r.stderr).toContain('smoke test: 503 from /healthz');
    expect(r.stderr).toMatch(/✗ flaky but tolerated \(continue-on-error\)/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
    expect(existsSync(join(dir, 'failed'))).toBe(true);
    expect(existsSync(join(dir, 'cleaned'))).toBe(true);
  });

  it('timeout: stops a step that runs too long; retries: runs a failed step again', async () => {
    const { dir } = repoWith(
      `
pipelines:
  slow:
    steps:
      - name: hangs
        run: [sh, -c, 'sleep 20.4242 >/dev/null 2>&1 & wait']
        timeout: 500ms
  flaky:
    steps:
      - id: flaky
        run: scripts/flaky.sh
        retries: 2
`,
      {
        'scripts/flaky.sh':
          'n=$(cat .attempts 2>/dev/null || echo 0); n=$((n+1)); echo $n > .attempts\n[ $n -ge 3 ] || exit 1\necho attempts=$n >> "$GITOPS_FLOW_OUTPUT"',
      },
    );
    const slow = await runCli(['-C', dir, 'run', 'slow']);
    expect(slow.code).toBe(1);
    expect(slow.stderr).toContain('error[STEP_FAILED]: Step "hangs" timed out after 500 ms.');
    // The whole process tree is gone, the script's own child too (not left running, holding its output).
    // (A killed process nobody reaps stays a zombie, state Z, until its parent does: dead all the same.)
    // Found by its command line from this side: the step runs in its own PID namespace, where its pids differ.
    const running = (pid: string) => {
      try {
        return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    const cmdline = (pid: string) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    };
    const sleeping = (arg: string) =>
      readdirSync('/proc').filter((p) => /^\d+$/.test(p) && cmdline(p) === `sleep\u0000${arg}\u0000` && running(p));
    expect(sleeping('20.4242')).toEqual([]);
    // Control: the same search does find a sleep that runs.
    const control = spawn('sleep', ['20.4243']);
    await new Promise((r) => setTimeout(r, 100));
    expect(sleeping('20.4243')).toHaveLength(1);
    control.kill('SIGKILL');
    expect(running(String(process.pid))).toBe(true);
    const flaky = await runCli(['-C', dir, '--json', 'run', 'flaky']);
    expect(flaky.code).toBe(0);
    expect(flaky.stderr).toContain('attempt 3 of 3');
    expect(json(flaky.stdout).steps[0]?.outputs).toEqual({ attempts: '3' });
  });
});

describe('run: secrets', () => {
  it('a run: step cannot read an undeclared credential but reads a declared one, masked in the log', async () => {
    const { dir } = repoWith(
      `
pipelines:
  smoke:
    steps:
      - id: probe
        run: scripts/probe.sh
        secrets: [SMOKE_TOKEN]
        env: { FROM_EXPRESSION: '\${{ env.GITLAB_TOKEN }}' }
      - run: [echo, 'passed on: \${{ steps.probe.outputs.SMOKE_TOKEN }}']
`,
      {
        'scripts/probe.sh': [
          'for v in GITLAB_TOKEN CI_JOB_TOKEN GITOPS_FLOW_GIT_TOKEN GITHUB_TOKEN DEPLOY_PASSWORD SMOKE_TOKEN; do',
          '  eval "val=\\${$v-unset}"; echo "$v=$val" >> "$GITOPS_FLOW_OUTPUT"',
          'done',
          'echo "from_expression=$FROM_EXPRESSION" >> "$GITOPS_FLOW_OUTPUT"',
          'echo "the token is $SMOKE_TOKEN"',
          'env | grep -c canary- | sed "s/^/canaries=/" >> "$GITOPS_FLOW_OUTPUT"',
        ].join('\n'),
      },
    );
    const env = cleanEnv({
      GITLAB_TOKEN: 'canary-gitlab-1',
      CI_JOB_TOKEN: 'canary-job-2',
      GITOPS_FLOW_GIT_TOKEN: 'canary-git-3',
      GITHUB_TOKEN: 'canary-gh-4',
      DEPLOY_PASSWORD: 'canary-pw-5',
      SMOKE_TOKEN: 'canary-smoke-6',
    });
    const r = await runCli(['-C', dir, '--json', 'run', 'smoke'], { env });
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const outputs = json(r.stdout).steps[0]?.outputs ?? {};
    expect(outputs).toMatchObject({
      GITLAB_TOKEN: 'unset',
      CI_JOB_TOKEN: 'unset',
      GITOPS_FLOW_GIT_TOKEN: 'unset',
      GITHUB_TOKEN: 'unset',
      DEPLOY_PASSWORD: 'unset',
      from_expression: '',
      canaries: '1',
    });
    // The step read its declared secret; written to an output it is masked there, so no later step's
    // log and no --json can show it.
    expect(outputs.SMOKE_TOKEN).toBe('[MASKED]');
    expect(r.stderr).toContain('the token is [MASKED]');
    expect(r.stderr).toContain('passed on: [MASKED]');
    expect(r.stderr).not.toContain('canary-');
    expect(r.stdout).not.toContain('canary-');
  });
});

describe('run: script paths stay in the repo', () => {
  it.each([
    ['run: ../outside.sh', '"../outside.sh"'],
    ['run: [./link/escape.sh]', '"./link/escape.sh"'],
  ])('%s is refused (exit 2)', async (step, value) => {
    const outside = tempDir();
    writeFileSync(join(outside, 'escape.sh'), '#!/bin/sh\ntouch /tmp/should-not-run\n');
    chmodSync(join(outside, 'escape.sh'), 0o755);
    const { dir } = repoWith(`pipelines:\n  p:\n    steps:\n      - ${step}\n`);
    symlinkSync(outside, join(dir, 'link'));
    const r = await runCli(['-C', dir, 'run', 'p']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[PATH_OUTSIDE_REPO]');
    expect(r.stderr).toContain(value);
  });
});
