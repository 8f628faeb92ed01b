import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cloneRemote, commitFiles, exampleFiles, gitSync, makeRemote, snapshot } from '../helpers/git-fixtures.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
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
