/**
 * Build options per env (issue 17): a base that renders a helm chart (kustomize --enable-helm, running
 * the pinned helm, built from the Go module proxy only for this file) and an overlay that reads a file
 * outside its folder (--load-restrictor LoadRestrictionsNone). Without the option the env's error says
 * which `build:` setting it needs; with it, status, suggest, promote and history work from the render,
 * and the render equals the pinned kustomize's own. Real git, the pinned kustomize and helm.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { buildTools, toolDir } from '../../src/cluster/tools.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { cloneRemote, gitSync, makeRemote, makeRepo, tempDir } from '../helpers/git-fixtures.js';

const WEB = 'registry.example.com/team/web';

const chart = {
  'kustomizations/base/charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'kustomizations/base/charts/web/values.yaml': `image: ${WEB}:1.0.0\nreplicas: 1\n`,
  'kustomizations/base/charts/web/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: {{ .Values.image }}
`,
  'kustomizations/base/kustomization.yaml': 'helmCharts:\n- name: web\n  releaseName: web\n',
  // dev already sets the chart's image (compact list); prod runs what the chart's values say.
  'kustomizations/overlays/dev/kustomization.yaml': `resources:\n- ../../base\nnamespace: dev\nimages:\n- name: ${WEB}\n  newTag: 1.1.0\n`,
  'kustomizations/overlays/prod/kustomization.yaml': 'resources:\n- ../../base\nnamespace: prod\n',
};
const helmConfig = 'order: [dev, prod]\nbuild: {enableHelm: true}\nenvironments:\n  dev: {}\n  prod: {}\n';

let helmDir = '';
/** The clean env with the pinned helm on PATH too. */
const withHelm = () => {
  const env = cleanEnv();
  return { ...env, PATH: `${helmDir}:${env.PATH}` };
};
const json = async (dir: string, env: NodeJS.ProcessEnv, ...argv: string[]) => {
  const r = await runCli(['-C', dir, '--json', ...argv], { env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};
/** Lines the last commit of the remote changed per file (max of added and deleted). */
const changedLines = (remoteDir: string) =>
  gitSync(remoteDir, ['diff', '--numstat', 'main~1', 'main'])
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'))
    .map(([a, d, f]) => [f, Math.max(Number(a), Number(d))] as const);

beforeAll(async () => {
  // helm is built only for this file: the rest of the suite does not need it (a cold build costs minutes).
  await buildTools(['helm']);
  helmDir = await toolDir('helm');
}, 1_800_000);

describe('helm charts (build.enableHelm)', () => {
  it('status shows the chart image where the values set it; the render equals kustomize build --enable-helm', async () => {
    const dir = makeRepo({ ...chart, 'gitops-flow.yaml': helmConfig });
    const env = withHelm();
    const status = await json(dir, env, 'status', '--no-cluster');
    expect(status.environments.dev.images[WEB]).toBe(`${WEB}:1.1.0`);
    expect(status.environments.dev.sources[WEB].kind).toBe('images');
    expect(status.environments.prod.images[WEB]).toBe(`${WEB}:1.0.0`);
    expect(status.environments.prod.sources[WEB]).toMatchObject({
      kind: 'helm',
      file: 'kustomizations/base/charts/web/values.yaml',
    });
    const render = await runCli(['-C', dir, 'render', '--env', 'prod'], { env });
    expect(render.code, render.stderr).toBe(0);
    const kustomize = join(inject('toolPath').split(':')[0] as string, 'kustomize');
    const own = execFileSync(kustomize, ['build', '--enable-helm', join(dir, 'kustomizations/overlays/prod')], {
      env: { PATH: `${helmDir}:/usr/bin:/bin`, HOME: tempDir('gitops-flow-home-') },
      encoding: 'utf8',
    });
    expect(render.stdout).toBe(own);
  });

  it('a one-image suggest changes 1 line, a promote into the chart-only env 3 (images: and the entry)', async () => {
    const remote = makeRemote({ ...chart, 'gitops-flow.yaml': helmConfig });
    const env = withHelm();
    const s = await runCli(
      ['suggest', '--push-to-target', '--env-repo', remote.url, '--env', 'dev', '--image', `${WEB}:1.2.0`],
      { env },
    );
    expect(s.code, s.stderr).toBe(0);
    expect(changedLines(remote.dir)).toEqual([['kustomizations/overlays/dev/kustomization.yaml', 1]]);
    const dir = cloneRemote(remote);
    const p = await runCli(['-C', dir, 'promote', '--from', 'dev', '--to', 'prod', '--no-deploy'], { env });
    expect(p.code, p.stderr).toBe(0);
    expect(changedLines(remote.dir)).toEqual([['kustomizations/overlays/prod/kustomization.yaml', 3]]);
    const status = await json(dir, env, 'status', '--no-cluster');
    expect(status.environments.prod.images[WEB]).toBe(`${WEB}:1.2.0`);
    const [last] = await json(dir, env, 'history', '--env', 'prod', '--limit', '1');
    expect(last).toMatchObject({ action: 'promote', images: { [WEB]: `${WEB}:1.2.0` } });
    expect(last.previousImages[WEB]).toBe(`${WEB}:1.0.0`);
  });

  it('without build.enableHelm: each env is an error row naming the setting; render says it too', async () => {
    const dir = makeRepo({
      ...chart,
      'gitops-flow.yaml': 'order: [dev, prod]\nenvironments:\n  dev: {}\n  prod: {}\n',
    });
    const env = withHelm();
    const status = await runCli(['-C', dir, 'status', '--no-cluster'], { env });
    expect(status.code, status.stderr).toBe(1);
    expect(status.stderr).toContain('error[RENDER_FAILED]');
    expect(status.stdout).toMatch(/dev[\s\S]*ERROR[\s\S]*prod[\s\S]*ERROR/);
    expect(status.stderr).toContain('hint: The overlay renders helm charts: set build: {enableHelm: true}');
    const render = await runCli(['-C', dir, 'render', '--env', 'prod'], { env });
    expect(render.code).toBe(1);
    expect(render.stderr).toContain('error[RENDER_FAILED]');
    expect(render.stderr).toContain('set build: {enableHelm: true} under environments.prod');
  });

  it('helm comes from the tools cache when PATH has none; with neither, the hint says how to get it', async () => {
    const dir = makeRepo({ ...chart, 'gitops-flow.yaml': helmConfig });
    const cached = await runCli(['-C', dir, 'render', '--env', 'prod'], {
      env: cleanEnv({ GITOPS_FLOW_CACHE: dirname(dirname(helmDir)) }),
    });
    expect(cached.code, cached.stderr).toBe(0);
    expect(cached.stdout).toContain(`image: ${WEB}:1.0.0`);
    const none = await runCli(['-C', dir, 'render', '--env', 'prod'], {
      env: cleanEnv({ GITOPS_FLOW_CACHE: tempDir('gitops-flow-cache-') }),
    });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('bash ci/tools/build.sh helm');
  });
});

describe('files outside the overlay (build.loadRestrictor)', () => {
  const files = {
    'kustomizations/base/kustomization.yaml': 'resources:\n- deployment.yaml\n',
    'kustomizations/base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${WEB}:1.0.0
`,
    // A ConfigMap every env shares, named as a file outside the overlay's folder.
    'kustomizations/shared/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n',
    'kustomizations/overlays/dev/kustomization.yaml':
      'resources:\n- ../../base\n- ../../shared/settings.yaml\nnamespace: dev\n',
  };

  it('refused by default with the setting named; with it, the env renders and suggest works', async () => {
    const without = makeRepo({ ...files, 'gitops-flow.yaml': 'environments:\n  dev: {}\n' });
    const r = await runCli(['-C', without, 'status', '--no-cluster']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('error[RENDER_FAILED]');
    expect(r.stderr).toContain('set build: {loadRestrictor: LoadRestrictionsNone} under environments.dev');
    const remote = makeRemote({
      ...files,
      'gitops-flow.yaml': 'environments:\n  dev: {build: {loadRestrictor: LoadRestrictionsNone}}\n',
    });
    const s = await runCli([
      'suggest',
      '--push-to-target',
      '--env-repo',
      remote.url,
      '--env',
      'dev',
      '--image',
      `${WEB}:1.1.0`,
    ]);
    expect(s.code, s.stderr).toBe(0);
    const dir = cloneRemote(remote);
    const status = await json(dir, cleanEnv(), 'status', '--no-cluster');
    expect(status.environments.dev.images[WEB]).toBe(`${WEB}:1.1.0`);
  });
});
