import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cloneRemote, commitFiles, exampleFiles, gitSync, makeRemote } from '../helpers/git-fixtures.js';

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
