/**
 * The error codes only a live cluster can trigger (the rest are in
 * test/integration/error-catalogue.test.ts, whose meta-test reads the `code:` entries of this table):
 * exit code, `error[CODE]`, the value at fault and the `hint:` line.
 */
import { describe, expect, it } from 'vitest';
import type { CliResult } from '../helpers/cli.js';
import { makeRepo } from '../helpers/git-fixtures.js';
import { gitopsFlow, neverReadyPatch, uniqueExample } from './helpers.js';

const DEV = 'kustomizations/overlays/dev/kustomization.yaml';

interface ClusterCase {
  code: string;
  exit: 1 | 2;
  hint: string;
  /** Runs the CLI and says which value at fault stderr must show. */
  run(): Promise<CliResult & { value: string }>;
}

const CLUSTER_CASES: ClusterCase[] = [
  {
    code: 'APPLY_FAILED',
    exit: 1,
    hint: 'Fix the manifest objects named below',
    run: async () => {
      // The API server refuses a negative replica count (kustomize does not check it).
      const { files } = uniqueExample();
      const patch =
        'patches:\n  - target: { kind: Deployment, name: pick-manager }\n    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: -1\n';
      const dir = makeRepo({ ...files, [DEV]: `${files[DEV] as string}${patch}` });
      return { ...(await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '20s'], dir)), value: 'spec.replicas' };
    },
  },
  {
    code: 'ROLLOUT_FAILED',
    exit: 1,
    hint: 'Fix the cause named below',
    run: async () => {
      const { files, ns } = uniqueExample();
      const dir = makeRepo({ ...files, [DEV]: `${files[DEV] as string}${neverReadyPatch()}` });
      return {
        ...(await gitopsFlow(['deploy', '--env', 'dev', '--timeout', '12s'], dir)),
        value: `Deployment/pick-manager (namespace ${ns('dev')})`,
      };
    },
  },
];

describe('error catalogue: codes only a cluster triggers', () => {
  it.each(CLUSTER_CASES.map((c) => [c.code, c] as const))('%s', async (_code, c) => {
    const r = await c.run();
    expect(r.stderr, r.stderr).toContain(`error[${c.code}]: `);
    expect(r.code, r.stderr).toBe(c.exit);
    expect(r.stderr).toContain(r.value);
    const hint = r.stderr.split('\n').find((l) => l.startsWith('hint: '));
    expect(hint, r.stderr).toContain(c.hint);
  });
});
