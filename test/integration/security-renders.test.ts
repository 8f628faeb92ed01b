/**
 * Issue 16, reproduction 9: a render depends on the commit alone. A remote resource is not fetched
 * (it was: SSRF from the CI job), a base outside the repo (`../`, a committed directory link) is not
 * read, and `render --ref X` equals a working-tree render at X (git archive applied export-subst and
 * export-ignore).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTools, toolDir } from '../../src/cluster/tools.js';
import { type CliResult, cleanEnv, runCli } from '../helpers/cli.js';
import { commitFiles, exampleFiles, makeRepo, tempDir } from '../helpers/git-fixtures.js';
import { hostileRepo } from '../helpers/hostile-repo.js';

const BASE = 'kustomizations/base/kustomization.yaml';
const CONFIGMAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: remote\ndata:\n  from: remote\n';
const render = (dir: string, extra: string[] = []): Promise<CliResult> =>
  runCli(['-C', dir, 'render', '--env', 'dev', ...extra], { env: cleanEnv() });

describe('remote resources are not fetched', () => {
  let url = '';
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/yaml' }).end(CONFIGMAP);
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/configmap.yaml`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const withRemote = (config?: string) =>
    makeRepo(
      exampleFiles({
        [BASE]: `${exampleFiles()[BASE]}  - ${url}\n`,
        ...(config && { 'gitops-flow.yaml': config }),
      }),
    );

  it.each([[[]], [['--ref', 'HEAD']]])('render %j: exit 2 REMOTE_RESOURCE_REFUSED, no request made', async (extra) => {
    const before = hits.length;
    const r = await render(withRemote(), extra);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[REMOTE_RESOURCE_REFUSED]');
    expect(r.stderr).toContain(url);
    expect(hits.length).toBe(before);
  });

  it('an environment that names the exact entry in remoteResources: may fetch it', async () => {
    const before = hits.length;
    const r = await render(
      withRemote(`environments:\n  dev:\n    remoteResources: ["${url}"]\n  uat: {}\n  prod: {}\n`),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('from: remote');
    expect(hits.length).toBe(before + 1);
  });
});

describe('nothing outside the repo is rendered', () => {
  /** A kustomization directory outside every repo. */
  function outsideBase(): string {
    const dir = join(tempDir('gitops-flow-outside-'), 'base');
    mkdirSync(dir);
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [secret.yaml]\n');
    writeFileSync(join(dir, 'secret.yaml'), CONFIGMAP.replace('remote', 'outside'));
    return dir;
  }

  it.each([[[]], [['--ref', 'HEAD']]])('a base through ../ (render %j): PATH_OUTSIDE_REPO', async (extra) => {
    const base = outsideBase();
    const dev = 'kustomizations/overlays/dev/kustomization.yaml';
    const dir = makeRepo(exampleFiles());
    const rel = relative(join(dir, 'kustomizations/overlays/dev'), base);
    commitFiles(dir, { [dev]: (exampleFiles()[dev] as string).replace('- ../../base', `- ${rel}`) }, 'outside base');
    const r = await render(dir, extra);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[PATH_OUTSIDE_REPO]');
    expect(r.stdout).not.toContain('outside');
  });

  it.each([[[]], [['--ref', 'HEAD']]])(
    'a committed directory link as the base (render %j): PATH_OUTSIDE_REPO',
    async (extra) => {
      const dir = hostileRepo({ 'kustomizations/base': outsideBase() });
      const r = await render(dir, extra);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('error[PATH_OUTSIDE_REPO]');
      expect(r.stderr).toContain('kustomizations/base');
    },
  );
});

describe('with build.loadRestrictor: LoadRestrictionsNone, still nothing outside the repo', () => {
  // kustomize's own restrictor kept files under the kustomization; the env repo's config may lift it,
  // and then an absolute path (which the walk read as relative) or a generator's own files: field (which
  // the walk did not read at all) rendered any file the job could read into a ConfigMap.
  const DEV = 'kustomizations/overlays/dev';
  const NONE = 'build:\n  loadRestrictor: LoadRestrictionsNone\n';
  const secretFile = () => {
    const file = join(tempDir('gitops-flow-outside-'), 'secret.env');
    writeFileSync(file, 'LEAKED=gfcanary-outside-file\n');
    return file;
  };
  const withDev = (extra: string, files: Record<string, string> = {}) =>
    makeRepo(
      exampleFiles({
        [`${DEV}/kustomization.yaml`]: `${exampleFiles()[`${DEV}/kustomization.yaml`]}${extra}`,
        'gitops-flow.yaml': `${exampleFiles()['gitops-flow.yaml']}${NONE}`,
        ...files,
      }),
    );
  const expectRefused = (r: CliResult, path: string) => {
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[PATH_OUTSIDE_REPO]');
    expect(r.stderr).toContain(path);
    expect(r.stdout + r.stderr).not.toContain('gfcanary-outside-file');
  };

  it.each([[[]], [['--ref', 'HEAD']]])('configMapGenerator files: [<absolute path>] (render %j)', async (extra) => {
    const file = secretFile();
    const dir = withDev(`configMapGenerator:\n  - name: leak\n    files: [${file}]\n`);
    expectRefused(await render(dir, extra), file);
  });

  it.each([
    ['a generator config file', (f: string) => ({ kust: 'generators: [gen.yaml]\n', gen: `files: [${f}]\n` })],
    [
      'a generator config file (../)',
      (_: string) => ({ kust: 'generators: [gen.yaml]\n', gen: 'files: [../../../../$X]\n' }),
    ],
    ['an inline generator config', (f: string) => ({ kust: `generators:\n  - |\n${inlineGen(f)}`, gen: '' })],
  ])('%s naming a file outside: PATH_OUTSIDE_REPO', async (_, shape) => {
    const file = secretFile();
    const { kust, gen: template } = shape(file);
    // The ../ case names a file beside the repo (../../../../ from the overlay): one made for this test.
    const beside = `secret-${basename(file, '.env')}-${basename(dirname(file))}`;
    const gen = template.replace('$X', beside);
    const genYaml = `apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: viagen\n${gen}`;
    const dir = withDev(kust, gen ? { [`${DEV}/gen.yaml`]: genYaml } : {});
    writeFileSync(join(dir, '..', beside), 'LEAKED=gfcanary-outside-file\n');
    expectRefused(await render(dir), gen.includes(beside) ? beside : file);
  });

  it('a generator config naming files inside the repo still renders', async () => {
    const genYaml = 'apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: inside\nfiles: [app.env]\n';
    const dir = withDev('generators: [gen.yaml]\n', { [`${DEV}/gen.yaml`]: genYaml, [`${DEV}/app.env`]: 'A=1\n' });
    const r = await render(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('A=1');
  });
});

describe('helm charts: the links in a chart directory are held to the rule', () => {
  // helm (kustomize --enable-helm) reads whole chart directories and follows their links: a chart file
  // linked to a file outside rendered it (.Files.Get), with the pinned helm (built as for build-options).
  const DEV = 'kustomizations/overlays/dev';
  let helmDir = '';
  const withHelm = () => {
    const env = cleanEnv();
    return { ...env, PATH: `${helmDir}:${env.PATH}` };
  };
  const secretFile = () => {
    const file = join(tempDir('gitops-flow-outside-'), 'secret.env');
    writeFileSync(file, 'LEAKED=gfcanary-outside-file\n');
    return file;
  };
  const expectRefused = (r: CliResult, path: string) => {
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[PATH_OUTSIDE_REPO]');
    expect(r.stderr).toContain(path);
    expect(r.stdout + r.stderr).not.toContain('gfcanary-outside-file');
  };
  beforeAll(async () => {
    await buildTools(['helm']);
    helmDir = await toolDir('helm');
  }, 1_800_000);

  it.each([
    ['a chart file', 'files/secret.env', (f: string) => f],
    ['a chart directory', 'files', (f: string) => dirname(f)],
  ])(
    '%s linked out of the repo (helm follows links in charts): PATH_OUTSIDE_REPO before helm runs',
    async (_, link, target) => {
      const file = secretFile();
      const chart = `${DEV}/charts/app`;
      const dir = hostileRepo(
        { [`${chart}/${link}`]: target(file) },
        {
          [`${DEV}/kustomization.yaml`]: `${exampleFiles()[`${DEV}/kustomization.yaml`]}helmCharts:\n  - name: app\n`,
          'gitops-flow.yaml': `${exampleFiles()['gitops-flow.yaml']}build:\n  enableHelm: true\n`,
          [`${chart}/Chart.yaml`]: 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
          [`${chart}/values.yaml`]: '{}\n',
          [`${chart}/templates/cm.yaml`]:
            'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app }\ndata:\n  leak: {{ .Files.Get "files/secret.env" | quote }}\n',
        },
      );
      expectRefused(await runCli(['-C', dir, 'render', '--env', 'dev'], { env: withHelm() }), `${chart}/${link}`);
    },
  );
});

const inlineGen = (file: string) =>
  ['apiVersion: builtin', 'kind: ConfigMapGenerator', 'metadata:', '  name: inline', `files: [${file}]`, '']
    .map((l) => (l ? `      ${l}` : l))
    .join('\n');

describe('render --ref X equals a working-tree render at X', () => {
  it('export-subst and export-ignore in .gitattributes change nothing', async () => {
    const dir = makeRepo(
      exampleFiles({
        '.gitattributes': 'kustomizations/base/commit.yaml export-subst\nkustomizations/base/hpa.yaml export-ignore\n',
        'kustomizations/base/commit.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: commit\ndata:\n  commit: "$Format:%H$"\n',
        [BASE]: `${exampleFiles()[BASE]}  - commit.yaml\n`,
      }),
    );
    const tree = await render(dir);
    const atRef = await render(dir, ['--ref', 'HEAD']);
    expect(tree.code, tree.stderr).toBe(0);
    expect(atRef.code, atRef.stderr).toBe(0);
    expect(tree.stdout).toContain('$Format:%H$');
    expect(atRef.stdout).toBe(tree.stdout);
  });
});
