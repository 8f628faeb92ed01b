/**
 * What people see, on a terminal (stdout and stderr are TTYs, NO_COLOR unset) and in a pipe or CI
 * log: `status`, `promote --dry-run --no-deploy`, an invalid-input error and a usage error, through
 * main() with real git. Shas, times, durations and temp paths are normalised; colours are shown as
 * ⟨SGR⟩ so the snapshots stay readable.
 */
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { cloneRemote, commitFiles, exampleFiles, gitSync, makeRemote } from '../helpers/git-fixtures.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';
const PROD = 'kustomizations/overlays/prod/kustomization.yaml';
const TTY = { columns: 120, rows: 40 };

function normalise(text: string): string {
  return text
    .replaceAll(tmpdir(), '<tmp>')
    .replace(/<tmp>\/gitops-flow-[\w-]+?-[A-Za-z0-9]{6}/g, '<tmp>/<dir>')
    .replace(/\x1b\[(\d+)m/g, '⟨$1⟩')
    .replace(/\b[0-9a-f]{40}\b/g, '<sha>')
    .replace(/\b[0-9a-f]{12}\b/g, '<sha12>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, '<time>')
    .replace(/\(\d+ ms\)/g, '(<n> ms)');
}

/** An env repo where dev moved to 1.4.2 and prod was rolled back (so it is pinned). */
async function envRepo(): Promise<string> {
  const remote = makeRemote(
    exampleFiles({ [DEV]: (exampleFiles()[DEV] as string).replace('newTag: "1.0.0"', 'newTag: "1.4.2"') }),
  );
  const dir = cloneRemote(remote);
  commitFiles(
    dir,
    { [PROD]: (exampleFiles()[PROD] as string).replace('newTag: "1.0.0"', 'newTag: "1.1.0"') },
    'prod 1.1.0',
    '2026-10-02T10:00:00Z',
  );
  gitSync(dir, ['push', '--quiet', 'origin', 'main']);
  expect((await runCli(['-C', dir, 'rollback', '--env', 'prod', '--no-deploy', '--reason', 'INC-42'])).code).toBe(0);
  return dir;
}

const both = async (argv: string[]) => {
  const tty = await runCli(argv, { tty: TTY, env: cleanEnv() });
  const plain = await runCli(argv, { env: cleanEnv() });
  const noColor = await runCli(argv, { tty: TTY, env: cleanEnv({ NO_COLOR: '1' }) });
  // NO_COLOR on a terminal: the plain output, exactly.
  expect(normalise(noColor.stdout + noColor.stderr)).toBe(normalise(plain.stdout + plain.stderr));
  expect(plain.stdout + plain.stderr).not.toContain('\x1b');
  return {
    code: tty.code,
    tty: { stdout: normalise(tty.stdout), stderr: normalise(tty.stderr) },
    plain: { stdout: normalise(plain.stdout), stderr: normalise(plain.stderr) },
  };
};

describe('output on a terminal and in a log', () => {
  it('status --no-cluster', async () => {
    const dir = await envRepo();
    const r = await both(['-C', dir, 'status', '--no-cluster']);
    expect(r.code).toBe(0);
    expect(r.tty.stdout).toMatchInlineSnapshot(`
      "⟨1⟩ENV ⟨22⟩  ⟨1⟩IMAGE              ⟨22⟩  ⟨1⟩REFERENCE                                    ⟨22⟩  ⟨1⟩COMMIT      ⟨22⟩  ⟨1⟩UPDATED                  ⟨22⟩  ⟨1⟩STATE⟨22⟩
      ⟨1⟩dev ⟨22⟩  application-image    registry.example.com/team/pick-manager:1.4.2   <sha12>  <time>  ⟨33⟩pending⟨39⟩
            order-manager-image  registry.example.com/team/order-manager:2.3.0
      ⟨1⟩uat ⟨22⟩  application-image    registry.example.com/team/pick-manager:1.0.0   <sha12>  <time>  ⟨33⟩pending⟨39⟩
            order-manager-image  registry.example.com/team/order-manager:2.3.0
      ⟨1⟩prod⟨22⟩  application-image    registry.example.com/team/pick-manager:1.0.0   <sha12>  <time>  ⟨33⟩pending⟨39⟩, ⟨35⟩pinned⟨39⟩
            order-manager-image  registry.example.com/team/order-manager:2.3.0
      "
    `);
    expect(r.plain.stdout).toMatchInlineSnapshot(`
      "ENV   IMAGE                REFERENCE                                      COMMIT        UPDATED                    STATE
      dev   application-image    registry.example.com/team/pick-manager:1.4.2   <sha12>  <time>  pending
            order-manager-image  registry.example.com/team/order-manager:2.3.0
      uat   application-image    registry.example.com/team/pick-manager:1.0.0   <sha12>  <time>  pending
            order-manager-image  registry.example.com/team/order-manager:2.3.0
      prod  application-image    registry.example.com/team/pick-manager:1.0.0   <sha12>  <time>  pending, pinned
            order-manager-image  registry.example.com/team/order-manager:2.3.0
      "
    `);
    expect(r.plain.stderr).toBe('');
  });

  it('promote --dry-run --no-deploy', async () => {
    const dir = await envRepo();
    const r = await both(['-C', dir, '--dry-run', 'promote', '--from', 'dev', '--to', 'uat', '--no-deploy']);
    expect(r.code).toBe(0);
    expect(r.plain.stdout).toBe('');
    expect(r.tty.stderr).toMatchInlineSnapshot(`
      "⟨2⟩- git/sync: nothing to do⟨22⟩
      ⟨32⟩✓⟨39⟩ images/copy ⟨2⟩(<n> ms)⟨22⟩
      [dry-run] $ git add -- kustomizations/overlays/uat/kustomization.yaml
      [dry-run] $ git commit --quiet --no-verify -F - -- kustomizations/overlays/uat/kustomization.yaml
      ⟨32⟩✓⟨39⟩ git/commit ⟨2⟩(<n> ms)⟨22⟩
      ⟨2⟩- deploy: nothing to do⟨22⟩
      ⟨2⟩- git/push: nothing to do⟨22⟩
      ⟨2⟩- record/verified: nothing to do⟨22⟩
      Dry run: would promote dev → uat: application-image=registry.example.com/team/pick-manager:1.4.2, order-manager-image=registry.example.com/team/order-manager:2.3.0; nothing was changed.
      "
    `);
    expect(r.plain.stderr).toMatchInlineSnapshot(`
      "- git/sync: nothing to do
      ✓ images/copy (<n> ms)
      [dry-run] $ git add -- kustomizations/overlays/uat/kustomization.yaml
      [dry-run] $ git commit --quiet --no-verify -F - -- kustomizations/overlays/uat/kustomization.yaml
      ✓ git/commit (<n> ms)
      - deploy: nothing to do
      - git/push: nothing to do
      - record/verified: nothing to do
      Dry run: would promote dev → uat: application-image=registry.example.com/team/pick-manager:1.4.2, order-manager-image=registry.example.com/team/order-manager:2.3.0; nothing was changed.
      "
    `);
  });

  it('an invalid promotion: error, value, hint; exit 2', async () => {
    const dir = await envRepo();
    const r = await both(['-C', dir, 'promote', '--from', 'dev', '--to', 'prod', '--no-deploy']);
    expect(r.code).toBe(2);
    expect(r.tty.stderr).toMatchInlineSnapshot(`
      "⟨1⟩⟨31⟩error[PROMOTE_NOT_ALLOWED]⟨39⟩⟨22⟩⟨1⟩: prod may not be promoted from dev.⟨22⟩
        ⟨2⟩value:⟨22⟩ "dev → prod"
      ⟨36⟩hint:⟨39⟩ Promote prod from uat, or add dev to environments.prod.promoteFrom in gitops-flow.yaml.
      "
    `);
    expect(r.plain.stderr).toMatchInlineSnapshot(`
      "error[PROMOTE_NOT_ALLOWED]: prod may not be promoted from dev.
        value: "dev → prod"
      hint: Promote prod from uat, or add dev to environments.prod.promoteFrom in gitops-flow.yaml.
      "
    `);
  });

  it('a mistyped command and a mistyped flag of a subcommand: the nearest valid one, exit 2', async () => {
    const command = await both(['promte', '--from', 'dev']);
    expect(command.code).toBe(2);
    expect(command.tty.stderr).toMatchInlineSnapshot(`
      "⟨1⟩⟨31⟩error[USAGE_INVALID]⟨39⟩⟨22⟩⟨1⟩: unknown command 'promte'⟨22⟩
        (Did you mean promote?)
      ⟨36⟩hint:⟨39⟩ Run gitops-flow --help, or gitops-flow <command> --help, for usage.
      "
    `);
    expect(command.plain.stderr).toMatchInlineSnapshot(`
      "error[USAGE_INVALID]: unknown command 'promte'
        (Did you mean promote?)
      hint: Run gitops-flow --help, or gitops-flow <command> --help, for usage.
      "
    `);
    const flag = await both(['promote', '--form', 'dev', '--to', 'uat']);
    expect(flag.code).toBe(2);
    expect(flag.plain.stderr).toMatchInlineSnapshot(`
      "error[USAGE_INVALID]: unknown option '--form'
        (Did you mean --from?)
      hint: Run gitops-flow --help, or gitops-flow <command> --help, for usage.
      "
    `);
  });
});
