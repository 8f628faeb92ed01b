/**
 * Static contracts of the Dagger module (dagger/): the SDK it is pinned to, that it type-checks, that its
 * generated class is what src/cli/verbs.ts describes, how ci/tools.json and mirrors make its images, that
 * each function's argv is one the CLI accepts, and that the CI/CD components call it with arguments it
 * has. What the module sends to an engine is checked through the real SDK in
 * test/integration/dagger-recording.test.ts; the argv run through the real CLI in dagger-argv.test.ts.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { verbArgv } from '../../dagger/src/argv.js';
import {
  aptSources,
  gcloudArchive,
  gcloudPlatform,
  gcloudSnapshot,
  mirrored,
  PINNED_IMAGE,
  parseManifest,
  toolDownload,
} from '../../dagger/src/manifest.js';
import { moduleSource, sharedParams, sourceIgnore } from '../../scripts/dagger-module.js';
import { formattedModule } from '../../scripts/gen-dagger.js';
import { pin } from '../../scripts/release-pin.js';
import { mirrored as cliMirrored } from '../../src/adapters/tools/download.js';
import { CI_VARIABLES, type DaggerVerb, daggerName, type OptionSpec, VERBS } from '../../src/cli/verbs.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT, tempDir } from '../helpers/git-fixtures.js';

const read = (f: string) => readFileSync(join(REPO_ROOT, f), 'utf8');
const json = (f: string) => JSON.parse(read(f));
const TOOLS = read('ci/tools.json');
const manifest = JSON.parse(TOOLS) as {
  gcloud: { version: string; sha256: Record<string, string | null>; components: string[] };
  images: Record<string, string>;
};
const DAGGER_VERBS = Object.entries(VERBS).flatMap(([v, s]) => ('dagger' in s ? [v as DaggerVerb] : []));

describe('contract: the SDK and the generated module', () => {
  it('contract: engineVersion is "v" + the exact SDK the module\'s package.json and lockfile pin (the one tests use too)', () => {
    const sdk = json('dagger/package.json').dependencies['@dagger.io/dagger'] as string;
    expect(sdk).toMatch(/^\d+\.\d+\.\d+$/);
    expect(json('dagger.json')).toMatchObject({
      engineVersion: `v${sdk}`,
      source: 'dagger',
      sdk: { source: 'typescript' },
      // The module imports the one description of the command line (and its shape and the CI facts),
      // outside its source directory.
      include: ['src/cli/verbs.ts', 'src/cli/verb-spec.ts', 'src/cli/ci-variables.ts'],
    });
    const lock = json('dagger/package-lock.json').packages['node_modules/@dagger.io/dagger'];
    expect(lock.version).toBe(sdk);
    expect(lock.integrity).toMatch(/^sha512-/);
    // The CLI does not ship the SDK: the repository's tests and type checks use it, at the same version.
    expect(json('package.json').dependencies['@dagger.io/dagger']).toBeUndefined();
    expect(json('package.json').devDependencies['@dagger.io/dagger']).toBe(sdk);
    expect(json('node_modules/@dagger.io/dagger/package.json').version).toBe(sdk);
  });

  it('contract: the module type-checks against the pinned SDK with its own tsconfig', () => {
    const files = readdirSync(join(REPO_ROOT, 'dagger/src')).map((f) => join(REPO_ROOT, 'dagger/src', f));
    const config = ts.parseJsonConfigFileContent(json('dagger/tsconfig.json'), ts.sys, join(REPO_ROOT, 'dagger'));
    const program = ts.createProgram(files, { ...config.options, noEmit: true });
    expect(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual(
      [],
    );
  }, 60_000);

  it('contract: dagger/src/index.ts is what scripts/gen-dagger.ts generates from src/cli/verbs.ts (npm run gen:dagger)', () => {
    expect(read('dagger/src/index.ts')).toBe(formattedModule());
  });

  it('contract: a verb option becomes one argument of its function, a CI variable one shared argument', () => {
    const source = moduleSource();
    for (const verb of DAGGER_VERBS) {
      const options = (VERBS[verb].options as readonly OptionSpec[]).filter((o) => o.dagger !== false);
      const body = source.slice(
        source.indexOf(`async ${verb}(`),
        source.indexOf('): Promise<', source.indexOf(`async ${verb}(`)),
      );
      for (const o of options) expect(body, `${verb} ${o.flags}`).toMatch(new RegExp(`\\n\\s*${daggerName(o)}[?:= ]`));
    }
    const shared = sharedParams(sourceIgnore(read('.gitignore'))).map((p) => p.name);
    for (const v of CI_VARIABLES)
      expect(shared).toContain(v.name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
    // The module's source is loaded without what .gitignore lists (the build makes it) and without git's data.
    expect(sourceIgnore('node_modules/\ndist/\nbench/results/*.tmp\n# c\n')).toEqual([
      '.git',
      '.gitlab-ci-local',
      '**/node_modules',
      'dist',
    ]);
  });

  it('contract: every CI variable the CLI reads is one the module passes (or it would differ inside the toolbox)', () => {
    const read = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.ts'))
          for (const m of read_(join(dir, e.name)).matchAll(/\benv\??\.((?:CI|GITLAB)_[A-Z0-9_]+)/g))
            read.add(m[1] as string);
      }
    };
    const read_ = (f: string) => readFileSync(join(REPO_ROOT, f), 'utf8');
    walk('src');
    // Facts a container has no use for: the job token cannot open merge requests (the CLI only names it in a hint).
    const notPassed = ['CI_JOB_TOKEN'];
    const passed = CI_VARIABLES.map((v) => v.name);
    expect([...read].filter((v) => !passed.includes(v) && !notPassed.includes(v)).sort()).toEqual([]);
  });
});

describe('contract: the toolbox pins', () => {
  it('contract: every image is pinned by digest; mirrors replace them only by digest, and only known ones', () => {
    expect(Object.keys(manifest.images).sort()).toEqual(['node', 'toolbox']);
    for (const ref of Object.values(manifest.images)) expect(ref).toMatch(PINNED_IMAGE);
    expect(parseManifest(TOOLS).images).toEqual(manifest.images);
    const mirror = `registry.internal/library/node:20@sha256:${'b'.repeat(64)}`;
    expect(parseManifest(TOOLS, [`node=${mirror}`]).images.node).toBe(mirror);
    expect(parseManifest(TOOLS, [`published=${mirror}`]).published.toolbox).toBe(mirror);
    expect(() => parseManifest(TOOLS, ['node=registry.internal/library/node:20'])).toThrow(
      /node image .*pin it by digest/,
    );
    expect(() => parseManifest(TOOLS, [`python=${mirror}`])).toThrow(
      /no image python \(known: node, toolbox, published\)/,
    );
    expect(() => parseManifest(TOOLS.replace(manifest.images.node as string, 'node:20-bookworm-slim'))).toThrow(
      /node image .*pin it by digest/,
    );
  });

  it('contract: kubectl, kustomize and gcloud are release downloads of the pinned versions with a sha256; a platform without one is refused', () => {
    const m = parseManifest(TOOLS);
    for (const tool of ['kubectl', 'kustomize'] as const) {
      const d = toolDownload(m, tool, 'linux/amd64');
      expect(d.url).toContain(m[tool]);
      expect(d.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(() => toolDownload(m, tool, 'linux/s390x')).toThrow(
        `ci/tools.json has no download of ${tool} for linux-s390x`,
      );
    }
    expect(gcloudPlatform('linux/amd64')).toBe('linux-x86_64');
    expect(gcloudPlatform('linux/arm64/v8')).toBe('linux-arm');
    expect(() => gcloudPlatform('windows/amd64')).toThrow(/no gcloud archive/);
    expect(gcloudArchive(m, 'linux/amd64')).toEqual({
      url: `https://dl.google.com/dl/cloudsdk/channels/rapid/downloads/google-cloud-cli-${manifest.gcloud.version}-linux-x86_64.tar.gz`,
      checksum: `sha256:${manifest.gcloud.sha256['linux-x86_64']}`,
    });
    expect(manifest.gcloud.sha256['linux-x86_64']).toMatch(/^[0-9a-f]{64}$/);
    // No checksum, no download: never fetched unchecked.
    if (!manifest.gcloud.sha256['linux-arm'])
      expect(() => gcloudArchive(m, 'linux/arm64')).toThrow(
        /no sha256 of gcloud .* for linux-arm: add one to gcloud.sha256/,
      );
    expect(gcloudSnapshot(m)).toBe(
      `https://dl.google.com/dl/cloudsdk/channels/rapid/components-v${manifest.gcloud.version}.json`,
    );
    expect(manifest.gcloud.components).toEqual(['gke-gcloud-auth-plugin']);
  });

  it('contract: downloads and apt follow one mirror, laid out as the CLI lays out GITOPS_FLOW_TOOLS_MIRROR', () => {
    const m = parseManifest(TOOLS);
    for (const url of [toolDownload(m, 'kustomize', 'linux/amd64').url, gcloudArchive(m, 'linux/amd64').url]) {
      expect(mirrored(url, 'https://mirror.internal/dl/')).toBe(cliMirrored(url, 'https://mirror.internal/dl/'));
      expect(mirrored(url, undefined)).toBe(url);
    }
    const apt = aptSources(m);
    expect(apt).toContain(
      `URIs: http://snapshot.debian.org/archive/debian/${m.apt.snapshot}\nSuites: bookworm bookworm-updates`,
    );
    expect(apt).toContain(
      `URIs: http://snapshot.debian.org/archive/debian-security/${m.apt.snapshot}\nSuites: bookworm-security`,
    );
    expect(aptSources(m, 'https://mirror.internal')).toContain(
      `URIs: https://mirror.internal/snapshot.debian.org/archive/debian/${m.apt.snapshot}`,
    );
    expect(m.apt.snapshot).toMatch(/^\d{8}T\d{6}Z$/);
  });
});

describe('contract: a release pins its toolbox once for the module and the components', () => {
  const defaults = (dir: string, input: string) =>
    Object.fromEntries(
      readdirSync(join(dir, 'templates')).flatMap((f) => {
        const spec = parseAllDocuments(readFileSync(join(dir, 'templates', f), 'utf8'))[0]?.toJSON() as {
          spec: { inputs: Record<string, { default?: string }> };
        };
        const v = spec.spec.inputs[input]?.default;
        return v === undefined ? [] : [[f, v]];
      }),
    );

  it('contract: the components default to the toolbox published for this version (until one is, the CI/CD variables)', () => {
    const published = (json('ci/tools.json') as { published: { toolbox: string | null } }).published.toolbox;
    const images = defaults(REPO_ROOT, 'image');
    const modules = defaults(REPO_ROOT, 'module');
    expect(Object.keys(images).sort()).toEqual([
      'deploy.yml',
      'promote.yml',
      'recover.yml',
      'render.yml',
      'suggest.yml',
    ]);
    expect(Object.keys(modules).sort()).toEqual([
      'dagger-deploy.yml',
      'dagger-promote.yml',
      'dagger-recover.yml',
      'dagger-suggest.yml',
    ]);
    for (const v of Object.values(images)) expect(v).toBe(published ?? '$GITOPS_FLOW_IMAGE');
    const version = (json('package.json') as { version: string }).version;
    for (const v of Object.values(modules)) {
      if (published) expect(v).toMatch(new RegExp(`@v?${version.replaceAll('.', '\\.')}$`));
      else expect(v).toBe('$GITOPS_FLOW_DAGGER_MODULE');
    }
  });

  it('contract: npm run release:pin writes the published toolbox into ci/tools.json and every component, and nothing else', () => {
    const root = tempDir('gitops-flow-pin-');
    mkdirSync(join(root, 'ci'));
    cpSync(join(REPO_ROOT, 'templates'), join(root, 'templates'), { recursive: true });
    writeFileSync(join(root, 'ci/tools.json'), TOOLS);
    const toolbox = `registry.example.com/platform/gitops-flow/toolbox:0.2.0@sha256:${'f'.repeat(64)}`;
    expect(() => pin(root, 'registry.example.com/platform/gitops-flow/toolbox:0.2.0', 'h/p@v0.2.0')).toThrow(
      /with its digest/,
    );
    pin(root, toolbox, 'gitlab.example.com/platform/gitops-flow@v0.2.0');
    const m = JSON.parse(readFileSync(join(root, 'ci/tools.json'), 'utf8'));
    expect(m.published.toolbox).toBe(toolbox);
    expect({ ...m, published: JSON.parse(TOOLS).published }).toEqual(JSON.parse(TOOLS));
    for (const v of Object.values(defaults(root, 'image'))) expect(v).toBe(toolbox);
    for (const v of Object.values(defaults(root, 'module')))
      expect(v).toBe('gitlab.example.com/platform/gitops-flow@v0.2.0');
    // Only those lines change.
    for (const f of readdirSync(join(root, 'templates'))) {
      const before = read(`templates/${f}`).split('\n');
      const after = readFileSync(join(root, 'templates', f), 'utf8').split('\n');
      expect(
        after.filter((l, i) => l !== before[i]),
        f,
      ).toHaveLength(1);
    }
  });
});

describe('contract: the argv and the components', () => {
  it('contract: every flag a function can pass is one the CLI lists for that verb', async () => {
    const g = { repoDir: '/repo', dryRun: true, verbose: true };
    const all = (verb: DaggerVerb) =>
      Object.fromEntries([
        ...('arguments' in VERBS[verb] ? (VERBS[verb] as { arguments: { name: string }[] }).arguments : []).map((a) => [
          a.name,
          'x',
        ]),
        ...(VERBS[verb].options as readonly OptionSpec[]).map((o) => [
          daggerName(o),
          o.kind === 'boolean' ? true : o.kind === 'list' ? ['a=b'] : o.kind === 'int' ? 3 : (o.choices?.[0] ?? 'v'),
        ]),
      ]);
    const flagsIn = (help: string) => new Set(help.match(/--[a-z][a-z-]*/g) ?? []);
    const globals = flagsIn((await runCli(['--help'])).stdout);
    for (const verb of DAGGER_VERBS) {
      const args = verbArgv(verb, all(verb), g);
      const i = args.indexOf(verb);
      expect(i, verb).toBeGreaterThanOrEqual(0);
      const help = await runCli([verb, '--help']);
      expect(help.code, verb).toBe(0);
      const known = flagsIn(help.stdout);
      for (const f of args.slice(0, i).filter((a) => a.startsWith('-')))
        expect(f === '-C' || globals.has(f), `${verb}: global ${f}`).toBe(true);
      for (const f of args.slice(i + 1).filter((a) => a.startsWith('--')))
        expect(known.has(f), `${verb}: ${f}`).toBe(true);
    }
    // Optional values left out leave their flags out: no empty values reach the CLI.
    expect(verbArgv('history', {}, { repoDir: '/repo' })).toEqual(['-C', '/repo', '--json', 'history']);
    expect(verbArgv('render', { env: 'dev', ref: '' }, { repoDir: '/repo' })).toEqual([
      '-C',
      '/repo',
      'render',
      '--env',
      'dev',
    ]);
    expect(() => verbArgv('run', {}, {})).toThrow(/run: missing argument/);
  });

  it('contract: each `dagger call` of the Dagger components passes the CI context as shared arguments and its verb only its own', () => {
    const camel = (flag: string) => flag.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const shared = new Map(sharedParams([]).map((p) => [p.name, p.type]));
    const files = readdirSync(join(REPO_ROOT, 'templates')).filter((f) => f.startsWith('dagger-'));
    let calls = 0;
    for (const f of files) {
      const jobs = parseAllDocuments(read(`templates/${f}`))[1]?.toJSON() as Record<string, { script?: string[] }>;
      for (const [name, job] of Object.entries(jobs)) {
        const script = job.script ?? [];
        const call = script.find((l) => l.includes('dagger call'));
        if (!call) continue;
        calls++;
        // The shared arguments: `set -- …` before the call, then `"$@"` before the function name.
        const set = script.find((l) => l.startsWith('set --')) as string;
        expect(set, `${f} ${name}`).toBeDefined();
        const setFlags = set.match(/(?<![\w-])--[a-z][a-z0-9-]*/g) ?? [];
        for (const flag of setFlags) expect(shared.has(camel(flag)), `${f} ${name}: ${flag}`).toBe(true);
        for (const v of CI_VARIABLES)
          expect(set, `${f} ${name}: ${v.name}`).toContain(`--${v.name.toLowerCase().replaceAll('_', '-')} `);
        for (const m of set.matchAll(/--([a-z0-9-]+) "?([^\s"]+)/g)) {
          if (shared.get(camel(`--${m[1]}`))?.startsWith('Secret'))
            expect(m[2], `${f} ${name}: --${m[1]}`).toMatch(/^(env|file):\/\//);
        }
        const m = /dagger call -m "\$GITOPS_FLOW_DAGGER_MODULE" "\$@" ([a-z]+) (.*?)(?: export --path \.)?$/s.exec(
          call.trim(),
        );
        expect(m, call).not.toBeNull();
        const [, fn, rest] = m as unknown as [string, DaggerVerb, string];
        expect(DAGGER_VERBS, `${f}: ${fn}`).toContain(fn);
        const own = new Set([
          ...(VERBS[fn].options as readonly OptionSpec[]).filter((o) => o.dagger !== false).map(daggerName),
          'dryRun',
        ]);
        for (const flag of rest.match(/(?<![\w-])--[a-z][a-z-]*/g) ?? [])
          expect(own.has(camel(flag)), `${fn} ${flag}`).toBe(true);
        if (VERBS[fn].dagger.returns === 'repo') expect(call.trim(), fn).toMatch(/ export --path \.$/);
      }
    }
    expect(calls).toBeGreaterThanOrEqual(5);
  });
});
