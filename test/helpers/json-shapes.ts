/**
 * The JSON shapes docs/commands.md documents under "JSON output", as strict zod schemas: an extra key, a
 * missing key or a wrong type fails. Shared by the integration and e2e shape tests.
 */
import { expect } from 'vitest';
import { z } from 'zod';
import type { CliResult } from './cli.js';

const sha = z.string().regex(/^[0-9a-f]{40}$/);
const time = z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'an ISO 8601 time');
const images = z.record(z.string(), z.string());
const releaseResult = {
  changed: z.boolean(),
  deployed: z.boolean(),
  pushed: z.boolean(),
  pushAttempts: z.number().int(),
  commit: z.union([sha, z.literal('')]),
};

export const shapes = {
  status: z.strictObject({
    environments: z.record(
      z.string(),
      z.strictObject({
        images,
        sources: z.record(
          z.string(),
          z.strictObject({
            kind: z.enum(['images', 'component', 'base-images', 'patch', 'replacement', 'helm', 'resource']),
            file: z.string(),
            line: z.number().int().optional(),
          }),
        ),
        error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
        commit: sha,
        updatedAt: time,
        verification: z.strictObject({
          state: z.enum(['verified', 'pending']),
          commit: sha.nullable(),
          time: time.nullable(),
        }),
        pinned: z.strictObject({ reason: z.string(), since: z.string() }).nullable(),
        drift: z.strictObject({
          checked: z.boolean(),
          inSync: z.boolean().nullable(),
          differences: z.array(z.string()),
          reason: z.string().optional(),
        }),
      }),
    ),
  }),
  history: z.array(
    z.strictObject({
      commit: sha,
      time,
      env: z.string(),
      action: z.enum(['suggest', 'promote', 'rollback', 'restore', 'unpin', 'revert', 'manual']),
      images,
      previousImages: images,
      source: z.strictObject(
        Object.fromEntries(
          ['project', 'commit', 'ref', 'pipelineId', 'pipelineUrl', 'message', 'fromEnv', 'fromCommit'].map((k) => [
            k,
            z.string().optional(),
          ]),
        ),
      ),
      subject: z.string(),
      author: z.string(),
    }),
  ),
  diff: z.strictObject({
    env: z.string(),
    from: z.union([sha, z.literal('cluster')]),
    to: sha,
    images: z.record(z.string(), z.strictObject({ from: z.string().nullable(), to: z.string().nullable() })),
    changed: z.boolean(),
    diff: z.string(),
  }),
  render: z.strictObject({
    env: z.string(),
    ref: z.string().nullable(),
    out: z.string().nullable(),
    objects: z.array(
      z.strictObject({ apiVersion: z.string(), kind: z.string(), name: z.string(), namespace: z.string().optional() }),
    ),
    workloads: z.array(
      z.strictObject({
        kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']),
        name: z.string(),
        namespace: z.string().nullable(),
        images,
      }),
    ),
  }),
  doctor: z.strictObject({
    checks: z.array(
      z.strictObject({
        name: z.string(),
        ok: z.boolean().nullable(),
        required: z.boolean(),
        detail: z.string(),
        fix: z.string().nullable(),
      }),
    ),
  }),
  deploy: z.strictObject({
    env: z.string(),
    commit: sha,
    manifest: z.string(),
    applied: z.array(z.string()),
    workloads: z.array(z.string().regex(/^(Deployment|StatefulSet|DaemonSet)\/[^/]+$/)),
    dryRun: z.boolean(),
  }),
  promote: z.strictObject({
    from: z.string(),
    to: z.string(),
    images,
    source: z.strictObject({ kind: z.enum(['tip', 'verified']), commit: sha, verifiedAt: time.optional() }),
    ...releaseResult,
  }),
  rollback: z.strictObject({ env: z.string(), to: sha, images, ...releaseResult }),
  restore: z.array(z.strictObject({ env: z.string(), at: sha, images, paths: z.array(z.string()), ...releaseResult })),
  unpin: z.strictObject({ env: z.string(), images, ...releaseResult }),
  suggest: z.strictObject({
    status: z.enum(['pushed', 'no-change', 'already-suggested']),
    branch: z.string().optional(),
    commit: sha.optional(),
    pushOptions: z.array(z.string()).optional(),
    mergeRequest: z
      .strictObject({
        forge: z.enum(['gitlab', 'github']),
        number: z.number().int().positive(),
        url: z.string().url(),
        action: z.enum(['created', 'updated']),
        autoMerge: z.enum(['set', 'not-set', 'off']),
        closed: z.array(z.number().int().positive()),
      })
      .optional(),
  }),
  init: z.strictObject({
    root: z.string(),
    environments: z.array(z.string()),
    files: z.array(z.string()),
    overwritten: z.array(z.string()),
  }),
  completion: z.strictObject({ shell: z.enum(['bash', 'zsh', 'fish']), script: z.string() }),
  run: z.strictObject({
    pipeline: z.string(),
    environment: z.string().nullable(),
    inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    dryRun: z.boolean(),
    steps: z.array(
      z.strictObject({
        id: z.string().nullable(),
        name: z.string(),
        if: z.string().nullable(),
        uses: z.string().nullable(),
        run: z.array(z.string()).nullable(),
        with: z.record(z.string(), z.string()),
        result: z.enum(['succeeded', 'skipped', 'failed', 'not-run', 'planned']),
        outputs: z.record(z.string(), z.string()),
      }),
    ),
  }),
  pipelinesList: z.strictObject({
    pipelines: z.array(
      z.strictObject({ name: z.string(), kind: z.enum(['verb', 'pipeline']), description: z.string().nullable() }),
    ),
    steps: z.array(
      z.strictObject({
        name: z.string(),
        summary: z.string(),
        inputs: z.record(
          z.string(),
          z.strictObject({ description: z.string(), required: z.boolean().optional(), default: z.string().optional() }),
        ),
        outputs: z.record(z.string(), z.string()),
        standalone: z.boolean(),
      }),
    ),
  }),
  pipelinesShow: z.object({
    name: z.string(),
    description: z.string().optional(),
    inputs: z.record(z.string(), z.object({})).optional(),
    steps: z.array(z.object({})),
  }),
  error: z.strictObject({
    error: z.strictObject({
      code: z.string().regex(/^[A-Z][A-Z_]+$/),
      message: z.string(),
      value: z.string().nullable(),
      remediation: z.string().nullable(),
      details: z.array(z.string()),
    }),
  }),
} as const;

/**
 * stdout must be exactly one JSON document of the given shape (nothing before or after it); returns
 * the parsed document.
 */
export function expectShape<K extends keyof typeof shapes>(r: CliResult, shape: K): z.infer<(typeof shapes)[K]> {
  let doc: unknown;
  expect(() => {
    doc = JSON.parse(r.stdout);
  }, `stdout is one JSON document:\n${r.stdout}\nstderr:\n${r.stderr}`).not.toThrow();
  const parsed = shapes[shape].safeParse(doc);
  expect(parsed.success ? [] : parsed.error.issues, `the ${shape} shape`).toEqual([]);
  return parsed.data as z.infer<(typeof shapes)[K]>;
}
