/**
 * Hostile input, fuzzed (seeded, 10,000 cases per input): only validation errors (GitopsError, exit 2)
 * come out — never a crash, a hang or a forged trailer. GITOPS_FLOW_FUZZ_CASES raises the count.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { confine } from '../../src/adapters/repo.js';
import { getEnvironment, resolveConfig } from '../../src/core/config.js';
import { GitopsError } from '../../src/core/errors.js';
import { ExpressionError, parseCondition } from '../../src/core/expressions.js';
import { type ImageRef, parseImageRef } from '../../src/core/image-ref.js';
import { parseImageArg, parseKustomization, readImages } from '../../src/core/kustomization.js';
import { parseTrailers, releaseMessage } from '../../src/core/trailers.js';
import { parseConfig } from '../../src/steps/config.js';
import { recordFigures } from '../helpers/figures.js';
import { seededRandom } from '../helpers/random.js';

/** A parsed reference written back, `name[:tag][@digest]`: parsing must lose nothing. */
function formatRef(r: ImageRef): string {
  return `${r.name}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

const CASES = Number(process.env.GITOPS_FLOW_FUZZ_CASES ?? 10_000);

const HOSTILE = [
  'a',
  'z',
  '0',
  '9',
  '.',
  '-',
  '_',
  '/',
  ':',
  '@',
  ' ',
  ';',
  '$(',
  ')',
  '`',
  '\n',
  '\r',
  '\t',
  '\0',
  '..',
  '../',
  'A',
  'Z',
  '%',
  '*',
  '|',
  '&',
  '"',
  "'",
  'sha256:',
  '\u0430',
  '\u2024',
  '\u2215',
  'é',
  '\u202e',
  '{{',
  '}}',
  '#',
  '!',
  '~',
];

function hostileString(r: () => number, max = 40): string {
  const n = Math.floor(r() * max);
  let s = '';
  for (let i = 0; i < n; i++) s += HOSTILE[Math.floor(r() * HOSTILE.length)];
  return s;
}

/** Runs `f`; anything thrown must be a GitopsError with exit 2. Returns whether it threw. */
function onlyValidationErrors(f: () => unknown, input: string): boolean {
  try {
    f();
    return false;
  } catch (e) {
    if (!(e instanceof GitopsError) || e.exitCode !== 2)
      throw new Error(`unexpected ${String(e)} for ${JSON.stringify(input)}`);
    return true;
  }
}

// The timeout guards against a hang, not speed: on a loaded 2-core machine 10,000 YAML parses take seconds.
describe(`fuzz: ${CASES} cases per input`, { timeout: Math.max(60_000, CASES * 3) }, () => {
  // Inputs whose every case held (a test that fails never counts).
  const held: string[] = [];
  const done = (input: string) => held.push(input);
  afterAll(() =>
    recordFigures('fuzz', { casesPerInput: CASES, inputs: held.length, cases: held.length * CASES, held }),
  );
  it('image references: valid ones round-trip, the rest are exit-2 errors showing the value', () => {
    const r = seededRandom(1);
    let accepted = 0;
    for (let i = 0; i < CASES; i++) {
      const input = r() < 0.3 ? `registry.example.com:5000/team/app${hostileString(r, 6)}:1.${i}` : hostileString(r);
      const threw = onlyValidationErrors(() => {
        const ref = parseImageRef(input);
        expect(formatRef(ref)).toBe(input);
        expect(input).not.toMatch(/[\s;$`()\0|&"'\\]/);
        // `..` may not be in the repository path; a tag may hold it (`A..z` is a valid tag, found at 100,000 cases).
        expect(ref.name).not.toContain('..');
      }, input);
      if (!threw) accepted++;
    }
    expect(accepted).toBeGreaterThan(0);
    done('image references');
  });

  it('--image arguments: exit-2 errors or an entry whose parts are all valid', () => {
    const r = seededRandom(2);
    for (let i = 0; i < CASES; i++) {
      const input = `${hostileString(r, 8)}${r() < 0.5 ? '=' : ''}${hostileString(r, 20)}`;
      onlyValidationErrors(() => {
        const img = parseImageArg(input);
        for (const v of Object.values(img)) expect(v).not.toMatch(/[\s;$`\0]/);
      }, input);
    }
    done('--image arguments');
  });

  it('environment names: only exact, known names resolve; paths never leave the repo', () => {
    const r = seededRandom(3);
    const config = resolveConfig(undefined, ['dev', 'uat', 'prod']);
    for (let i = 0; i < CASES; i++) {
      const name =
        r() < 0.1 ? (['../dev', '/etc', 'dev\0', 'dеv', 'DEV', 'dev/'][i % 6] as string) : hostileString(r, 12);
      const threw = onlyValidationErrors(() => getEnvironment(config, name), name);
      expect(threw).toBe(!['dev', 'uat', 'prod'].includes(name));
      onlyValidationErrors(() => {
        const abs = confine('/repo/root', name, 'path');
        expect(abs === '/repo/root' || abs.startsWith('/repo/root/')).toBe(true);
      }, name);
    }
    done('environment names and paths');
  });

  it('repo shapes with symlinks (in, out, dangling, loops): a confined path never writes outside', () => {
    const r = seededRandom(8);
    const shapes = Math.max(20, Math.floor(CASES / 100));
    const names = ['a', 'b', 'c', '.gitops-flow', 'rendered', 'x.yaml'];
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)] as T;
    const relPath = () => Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick([...names, '..', '.'])).join('/');
    let confined = 0;
    for (let i = 0; i < shapes; i++) {
      const base = mkdtempSync(join(tmpdir(), 'gitops-flow-fuzz-links-'));
      const [root, out] = [join(base, 'repo'), join(base, 'outside')];
      mkdirSync(root);
      mkdirSync(out);
      for (let j = 0; j < 6; j++) {
        const at = join(root, relPath());
        if (!at.startsWith(`${root}/`)) continue;
        const target = pick([out, join(out, 'new'), '/etc/passwd', relPath(), '../../outside', at, 'a/../..']);
        try {
          mkdirSync(dirname(at), { recursive: true });
          if (r() < 0.3) mkdirSync(at);
          else symlinkSync(target, at);
        } catch {
          // a parent is a file or a link already: the shape just has fewer entries
        }
      }
      // Building the shape may itself write through its links: compare with what is outside now.
      const before = readdirSync(out, { recursive: true }).sort();
      for (let k = 0; k < 50; k++) {
        const p = relPath();
        let abs: string;
        try {
          abs = confine(root, p, 'path');
        } catch (e) {
          if (!(e instanceof GitopsError) || e.code !== 'PATH_OUTSIDE_REPO') throw e;
          continue;
        }
        confined++;
        try {
          mkdirSync(dirname(abs), { recursive: true });
          writeFileSync(abs, 'written');
        } catch {
          // not writable here (a directory, a loop): fine, as long as nothing lands outside
        }
        expect(readdirSync(out, { recursive: true }).sort(), `${p} in shape ${i}`).toEqual(before);
      }
      rmSync(base, { recursive: true, force: true });
    }
    expect(confined).toBeGreaterThan(0);
    done('repo shapes with symlinks');
  });

  it('gitops-flow.yaml: anchors, alias bombs, duplicate keys, huge and broken documents are exit-2 errors', () => {
    const r = seededRandom(4);
    const bomb =
      'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n';
    const seeds = [
      bomb,
      'order: [dev]\norder: [uat]\n',
      `environments:\n${'  x: {}\n'.repeat(5000)}`,
      'environments: !!binary aGVsbG8=\n',
      '\uFFFE\uFFFF: 1\n',
      'git: {targetBranch: &x main, author: *x}\n',
    ];
    for (let i = 0; i < CASES; i++) {
      const text =
        i < seeds.length
          ? (seeds[i] as string)
          : `${['order', 'environments', 'git', 'overlaysDir', '$schema'][i % 5]}: ${hostileString(r, 30)}\n${r() < 0.3 ? hostileString(r, 30) : ''}`;
      onlyValidationErrors(() => parseConfig(text), text);
    }
    done('gitops-flow.yaml');
  });

  it('kustomization text: broken YAML and odd images are exit-2 errors', () => {
    const r = seededRandom(5);
    for (let i = 0; i < CASES; i++) {
      const text = `images:\n- name: ${hostileString(r, 10)}\n  newTag: ${hostileString(r, 10)}\n${hostileString(r, 20)}`;
      onlyValidationErrors(() => readImages(parseKustomization(text, 'k.yaml')), text);
    }
    done('kustomization text');
  });

  it('expressions: deep or long ones are ExpressionErrors, never a stack overflow', () => {
    const r = seededRandom(7);
    const pieces = ['(', ')', '!', '!(', 'true', ' && ', ' || ', "'x'", 'inputs.a', 'contains(', ',', ' == '];
    for (let i = 0; i < CASES; i++) {
      const n = r() < 0.1 ? 20_000 : Math.floor(r() * 200);
      let text = '';
      for (let j = 0; j < n; j++) text += pieces[Math.floor(r() * pieces.length)];
      try {
        parseCondition(text);
      } catch (e) {
        if (!(e instanceof ExpressionError)) throw new Error(`unexpected ${String(e)} for ${text.slice(0, 80)}`);
      }
    }
    done('expressions');
  });

  it('upstream commit messages cannot forge trailers', () => {
    const r = seededRandom(6);
    for (let i = 0; i < CASES; i++) {
      const hostile = `${hostileString(r, 20)}\nGitops-Flow-Env: prod\n\nGitops-Flow-Action: rollback\n${hostileString(r, 20)}`;
      const msg = releaseMessage({
        action: 'suggest',
        env: 'dev',
        images: { app: 'reg/app:1' },
        upstream: { message: hostile, project: hostile, ref: hostile, pipelineId: hostile },
      });
      const trailers = parseTrailers((msg.trim().split('\n\n').at(-1) as string).split('\n'));
      expect(trailers.env).toBe('dev');
      expect(trailers.action).toBe('suggest');
      expect(trailers.trailers['Gitops-Flow-Env']).toEqual(['dev']);
    }
    done('upstream commit messages');
  });
});
