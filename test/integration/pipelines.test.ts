/**
 * Pipelines of gitops-flow.yaml on real git remotes: outputs, conditions, failure paths, timeouts,
 * retries, secrets, hooks into the verbs, each standalone built-in step on its own, the plan of
 * --dry-run, and validation. (The deploy steps against a control plane: test/e2e/pipelines.e2e.test.ts.)
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';
import {
  cloneRemote,
  commitFiles,
  exampleFiles,
  gitSync,
  makeRemote,
  snapshot,
  tempDir,
} from '../helpers/git-fixtures.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const UAT = 'kustomizations/overlays/uat/kustomization.yaml';
const withDevTag = (tag: string) => ({
  [DEV]: (exampleFiles()[DEV] as string).replace('newTag: "1.0.0"', `newTag: "${tag}"`),
});

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

describe('run: built-in steps on their own', () => {
  it('render writes the manifest and outputs its path', async () => {
    const { dir } = repoWith(
      'pipelines:\n  r:\n    steps:\n      - id: render\n        uses: render\n        with: { env: dev }\n',
    );
    const r = await runCli(['-C', dir, '--json', 'run', 'r']);
    expect(r.code).toBe(0);
    const path = json(r.stdout).steps[0]?.outputs.manifest as string;
    expect(path).toBe(join(dir, '.gitops-flow', 'rendered', 'dev.yaml'));
    expect(readFileSync(path, 'utf8')).toContain('kind: Deployment');
  });

  it('promote pushes, and is skipped when there is nothing to promote', async () => {
    const { dir, remote } = repoWith(
      `
pipelines:
  p:
    steps:
      - id: promote
        uses: promote
        with: { from: dev, to: uat, deploy: false }
      - run: [sh, -c, 'echo "pushed=\${{ steps.promote.outputs.pushed }} changed=\${{ steps.promote.outputs.changed }}"']
`,
      {},
      withDevTag('1.4.2'),
    );
    const first = await runCli(['-C', dir, '--json', 'run', 'p']);
    expect(first.stderr).not.toContain('error');
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('pushed=true changed=true');
    expect(gitSync(remote.dir, ['show', `main:${UAT}`])).toContain('1.4.2');
    const again = await runCli(['-C', dir, '--json', 'run', 'p']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('- promote: nothing to do');
    expect(json(again.stdout).steps[0]).toMatchObject({
      result: 'skipped',
      outputs: { changed: 'false', pushed: 'false' },
    });
  });

  it('rollback brings a release back; a second run has nothing to do', async () => {
    const { dir, remote } = repoWith(`
pipelines:
  back:
    inputs: { to: { required: true } }
    steps:
      - id: rollback
        uses: rollback
        with: { env: dev, to: '\${{ inputs.to }}', deploy: false, reason: smoke failed }
`);
    const good = gitSync(dir, ['rev-parse', 'HEAD']);
    commitFiles(dir, withDevTag('1.4.2'), 'dev 1.4.2');
    gitSync(dir, ['push', '--quiet', 'origin', 'main']);
    const first = await runCli(['-C', dir, '--json', 'run', 'back', '--input', `to=${good}`]);
    expect(first.stderr).not.toContain('error');
    expect(json(first.stdout).steps[0]).toMatchObject({
      result: 'succeeded',
      outputs: { changed: 'true', pushed: 'true' },
    });
    expect(gitSync(remote.dir, ['show', `main:${DEV}`])).toContain('"1.0.0"');
    const again = await runCli(['-C', dir, '--json', 'run', 'back', '--input', `to=${good}`]);
    expect(json(again.stdout).steps[0]).toMatchObject({ result: 'skipped', outputs: { changed: 'false' } });
  });

  it('a script that is not in the repo fails the step, naming it', async () => {
    const { dir } = repoWith('pipelines:\n  p:\n    steps: [{ run: scripts/missing.sh }]\n');
    const r = await runCli(['-C', dir, 'run', 'p']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error[STEP_FAILED]: Step "scripts/missing.sh" has no script at "scripts/missing.sh" in the env repo.',
    );
  });

  it('restore-last-good is skipped when nothing was deployed; pipeline/<name> runs another pipeline with inputs', async () => {
    const { dir } = repoWith(`
pipelines:
  outer:
    steps:
      - uses: pipeline/inner
        with: { marker: from-outer }
      - run: [sh, -c, 'exit 1']
      - uses: restore-last-good
        if: failure()
  inner:
    inputs: { marker: { required: true }, notify: { default: true } }
    steps:
      - run: [touch, '\${{ inputs.marker }}']
      - if: inputs.notify
        run: [touch, notified]
  quiet:
    steps:
      - uses: pipeline/inner
        with: { marker: from-quiet, notify: false }
`);
    const r = await runCli(['-C', dir, 'run', 'outer']);
    expect(r.code).toBe(1);
    expect(existsSync(join(dir, 'from-outer'))).toBe(true);
    expect(existsSync(join(dir, 'notified'))).toBe(true);
    // with: { notify: false } is the boolean false for a boolean input, not the (true) string "false".
    rmSync(join(dir, 'notified'));
    expect((await runCli(['-C', dir, 'run', 'quiet'])).code).toBe(0);
    expect(existsSync(join(dir, 'from-quiet'))).toBe(true);
    expect(existsSync(join(dir, 'notified'))).toBe(false);
    expect(r.stderr).toContain('- restore-last-good: nothing to do');
  });
});

describe('hooks into the verbs', () => {
  it('a failing after-hook of promote stops it before the push: nothing pushed, no local commit left', async () => {
    const { dir, remote } = repoWith(
      `
hooks:
  promote:
    before:
      images/copy:
        - run: [sh, -c, 'echo "promoting \${{ inputs.from }} to \${{ inputs.to }} in \${{ environment.name }}"']
environments:
  dev: {}
  uat:
    hooks:
      promote:
        after:
          git/commit:
            - name: policy check
              run: [sh, -c, 'echo "policy: uat is frozen"; exit 1']
`,
      {},
      withDevTag('1.4.2'),
    );
    const before = snapshot(remote.dir);
    const head = gitSync(dir, ['rev-parse', 'HEAD']);
    const r = await runCli(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('promoting dev to uat in uat');
    expect(r.stderr).toContain('error[STEP_FAILED]: Step "policy check" exited with 1.');
    expect(r.stderr).toContain('policy: uat is frozen');
    expect(snapshot(remote.dir)).toBe(before);
    expect(gitSync(dir, ['rev-parse', 'HEAD'])).toBe(head);
  });

  it('an after: verify hook does not run when the deploy had nothing to do (--no-deploy)', async () => {
    const { dir } = repoWith(
      `
hooks:
  promote:
    after:
      verify:
        - name: smoke
          run: [touch, smoked]
`,
      {},
      withDevTag('1.4.2'),
    );
    const r = await runCli(['-C', dir, 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('- smoke: nothing to do');
    expect(existsSync(join(dir, 'smoked'))).toBe(false);
  });

  it("pipelines show prints a verb's pipeline with the hooks in place; list names pipelines, verbs and steps", async () => {
    const { dir } = repoWith(`
pipelines:
  release: { description: smoke-tested release, steps: [{ run: [true] }] }
hooks:
  promote:
    after:
      verify: [{ name: smoke, run: [scripts/smoke.sh] }]
`);
    const show = await runCli(['-C', dir, 'pipelines', 'show', 'promote']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("# the promote verb's pipeline");
    expect(show.stdout.replace(/\n {6}/g, ' ')).toMatch(
      /- uses: deploy\s+- name: smoke\s+run:\s+- scripts\/smoke.sh\s+- uses: git\/push\s+- uses: record\/verified\s+- uses: restore-last-good\s+if: \$\{\{ failure\(\) \}\}/,
    );
    const list = await runCli(['-C', dir, '--json', 'pipelines', 'list']);
    const out = JSON.parse(list.stdout) as {
      pipelines: { name: string; kind: string }[];
      steps: { name: string; standalone: boolean }[];
    };
    expect(out.pipelines[0]).toEqual({ name: 'release', kind: 'pipeline', description: 'smoke-tested release' });
    expect(out.pipelines.filter((p) => p.kind === 'verb').map((p) => p.name)).toEqual([
      'suggest',
      'deploy',
      'promote',
      'rollback',
      'restore',
      'unpin',
    ]);
    expect(out.steps.filter((s) => s.standalone).map((s) => s.name)).toEqual([
      'render',
      'deploy',
      'restore-last-good',
      'promote',
      'rollback',
    ]);
  });
});

describe('validation', () => {
  it('every problem of the pipelines and hooks at once, naming the field; exit 2', async () => {
    const { dir } = repoWith(`
pipelines:
  a:
    inputs: { env: {} }
    steps:
      - id: one
        uses: images/frobnicate
      - id: one
        uses: promote
        with: { from: dev, to: uat, colour: red }
      - run: [echo, '\${{ steps.later.outputs.x }}', '\${{ inputs.nope }}']
      - run: [echo]
        if: inputs.env = 'prod'
      - uses: git/commit
      - run: curl -fsS https://example.com
      - uses: pipeline/b
  b:
    steps:
      - uses: pipeline/a
  promote:
    steps: [{ run: [true] }]
hooks:
  promote:
    after:
      smoke: [{ run: [true] }]
`);
    const r = await runCli(['-C', dir, 'status', '--no-cluster']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[CONFIG_INVALID]: gitops-flow.yaml has 11 problem(s).');
    for (const line of [
      'pipelines.a.steps.0.uses: unknown step "images/frobnicate" (have: render, deploy, restore-last-good, promote, rollback, pipeline/<name>)',
      'pipelines.a.steps.1.id: "one" is used by an earlier step; ids are unique in a pipeline',
      'pipelines.a.steps.1.with.colour: promote has no input "colour"',
      'pipelines.a.steps.2.run.1: steps.later is not the id of an earlier step (have: one)',
      'pipelines.a.steps.2.run.2: inputs.nope is not an input of the pipeline (have: env)',
      'pipelines.a.steps.3.if: unexpected character "=" at 12 in "inputs.env = \'prod\'"',
      'pipelines.a.steps.4.uses: git/commit is a step inside a verb, not usable on its own',
      'pipelines.a.steps.5.run: a string is the path of a script in the env repo; write a command with arguments as a list',
      'pipelines.a: pipelines use each other in a cycle: a → b → a',
      'pipelines.promote: "promote" is a built-in verb',
      'hooks.promote.after.smoke: promote has no step "smoke" (have: git/sync, images/copy, git/commit, deploy, git/push, record/verified, restore-last-good, verify)',
    ])
      expect(r.stderr).toContain(line);
  });

  it('an unknown pipeline and bad inputs are exit 2, every input problem at once', async () => {
    const { dir } = repoWith(
      'pipelines:\n  p:\n    inputs: { target: { required: true } }\n    steps: [{ run: [true] }]\n',
    );
    const unknown = await runCli(['-C', dir, 'run', 'q']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error[PIPELINE_UNKNOWN]: No pipeline "q" in gitops-flow.yaml.');
    expect(unknown.stderr).toContain('hint: Use one of: p');
    const bad = await runCli(['-C', dir, 'run', 'p', '--input', 'colour=red', '--input', 'novalue']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error[INPUT_INVALID]: The inputs of pipeline "p" have 3 problem(s).');
    expect(bad.stderr).toContain('--input colour: p has no input "colour" (have: target)');
    expect(bad.stderr).toContain('--input "novalue": write name=value');
    expect(bad.stderr).toContain('--input target: required by p');
  });
});

describe('committed state is untouched by a run', () => {
  it('run: steps execute in the env repo working copy; the repo stays clean apart from what they write', async () => {
    const { dir } = repoWith('pipelines:\n  p:\n    steps: [{ run: [git, status, --porcelain] }]\n');
    commitFiles(dir, { 'notes.txt': 'x' }, 'notes');
    const r = await runCli(['-C', dir, 'run', 'p']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('✓ git status --porcelain');
  });
});
