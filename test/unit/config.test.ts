import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config.js';
import { jsonSchema } from '../../src/core/config-schema.js';
import type { GitopsError } from '../../src/core/errors.js';
import { parseConfig } from '../../src/steps/config.js';

describe('config: convention first', () => {
  it('with no file, environments are the overlay folders in the usual promotion order, any source allowed', () => {
    const c = resolveConfig(undefined, ['prod', 'dev', 'uat', 'sandbox']);
    expect(c.order).toEqual(['dev', 'uat', 'prod', 'sandbox']);
    expect(c.environments.get('uat')).toEqual({
      name: 'uat',
      overlay: 'kustomizations/overlays/uat',
      timeoutMs: 300_000,
      requireVerified: false,
      verify: { rules: [], skip: [], failFast: { restarts: 2, unschedulableMs: 30_000 } },
      prune: { namespaces: false, customResourceDefinitions: false },
    });
    expect(c.targetBranch).toBe('main');
    expect(c.autoMerge).toBe('auto_merge');
  });

  it('declared environments: declaration order, promoteFrom defaults to the previous env', () => {
    const c = resolveConfig(
      parseConfig('environments:\n  qa: {}\n  live: { cluster: { context: live }, verify: { timeout: 1m30s } }\n'),
      [],
    );
    expect(c.order).toEqual(['qa', 'live']);
    expect(c.environments.get('qa')?.promoteFrom).toEqual([]);
    expect(c.environments.get('live')).toMatchObject({ promoteFrom: ['qa'], context: 'live', timeoutMs: 90_000 });
  });

  it('exports a JSON Schema for editors', () => {
    const s = jsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(['environments', 'git', 'order']));
  });
});

describe('config validation reports every problem at once', () => {
  it.each([
    ['order: [dev, Prod]\n', ['order.1', '"Prod"']],
    ['environments:\n  dev:\n    overlay: ../../etc\n', ['environments.dev.overlay', 'inside the repository']],
    ['environments:\n  dev:\n    overlay: /abs\n', ['environments.dev.overlay']],
    ['environments:\n  dev: { verify: { timeout: soon } }\n', ['environments.dev.verify.timeout', '"soon"']],
    ['environments:\n  dev: { typo: 1 }\n', ['environments.dev', 'typo']],
    ['git: { mergeRequest: { autoMerge: always } }\n', ['git.mergeRequest.autoMerge']],
    ['git: { mergeRequest: { mode: rest } }\n', ['git.mergeRequest.mode', '"rest"']],
    ['git: { mergeRequest: { assignees: ["@bot"] } }\n', ['git.mergeRequest.assignees.0', 'without "@"']],
    [
      'git: { forge: bitbucket, forgeUrl: "https://u:p@gitlab.example.com" }\n',
      ['git.forge', 'git.forgeUrl', 'without credentials'],
    ],
    ['git: { author: { name: a, email: nope } }\n', ['git.author.email']],
    ['a: [\n', ['not valid YAML']],
    ['a: &x 1\nb: *x\nc: *x\n', ['Unrecognized key']],
    ['environments:\n  prod: { requireDigest: yes-please }\n', ['environments.prod.requireDigest']],
    ['registries: { insecure: ["http://127.0.0.1:5000"] }\n', ['registries.insecure.0', 'host[:port]']],
  ])('%j', (text, expected) => {
    try {
      parseConfig(text);
      expect.unreachable();
    } catch (e) {
      const err = e as GitopsError;
      expect(err.exitCode).toBe(2);
      const all = [err.message, ...err.details].join('\n');
      for (const x of expected) expect(all).toContain(x);
    }
  });

  it('lists several problems together', () => {
    try {
      parseConfig('order: [Dev]\ngit: { targetBranch: "" }\nbogus: true\n');
    } catch (e) {
      expect((e as GitopsError).details).toHaveLength(3);
      expect((e as GitopsError).message).toContain('3 problem(s)');
    }
  });

  it('cross-field: order and promoteFrom must name environments', () => {
    expect(() =>
      resolveConfig(parseConfig('order: [dev, qa]\nenvironments:\n  dev: {}\n  uat: { promoteFrom: staging }\n'), []),
    ).toThrowError(/2 problem/);
  });
});

describe('digest pinning config', () => {
  it('requireDigest per env, and registries reached over plain http', () => {
    const c = resolveConfig(
      parseConfig(
        'registries: { insecure: ["127.0.0.1:5000", "[::1]:5000"] }\nenvironments:\n  dev: {}\n  prod: { requireDigest: true }\n',
      ),
      [],
    );
    expect(c.environments.get('prod')?.requireDigest).toBe(true);
    expect(c.environments.get('dev')?.requireDigest).toBeUndefined();
    expect(c.insecureRegistries).toEqual(['127.0.0.1:5000', '[::1]:5000']);
  });
});

describe('the committed JSON Schema', () => {
  it('is what the zod schema generates (run npm run schema after changing it)', async () => {
    const { readFileSync } = await import('node:fs');
    const committed = JSON.parse(
      readFileSync(new URL('../../schema/gitops-flow.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(jsonSchema());
  });
});
