/**
 * doctor with the real pinned kubectl/kustomize, and with STUB binaries on PATH standing in for a
 * wrong-version or missing tool (named "stub …" below). No other mocks.
 */
import { chmodSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { MANIFEST_URL } from '../../src/commands/doctor/manifest.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { exampleFiles, makeRepo, REPO_ROOT, tempDir } from '../helpers/git-fixtures.js';

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8')) as {
  kubectl: string;
  kustomize: string;
  gcloud: { version: string };
};
const [kustomizeDir, kubectlDir] = inject('toolPath').split(':') as [string, string];

/** A bin folder: real tools linked in by path, stubs written as scripts. */
function bin(entries: Record<string, { link: string } | { stub: string }>): string {
  const dir = tempDir('gitops-flow-bin-');
  for (const [name, e] of Object.entries(entries)) {
    if ('link' in e) symlinkSync(e.link, join(dir, name));
    else {
      writeFileSync(join(dir, name), `#!/bin/sh\n# STUB ${name} for doctor tests\n${e.stub}\n`);
      chmodSync(join(dir, name), 0o755);
    }
  }
  return dir;
}

const GIT = { link: '/usr/bin/git' };
const KUBECTL = { link: join(kubectlDir, 'kubectl') };
const KUSTOMIZE = { link: join(kustomizeDir, 'kustomize') };
const stubKubectl = (version: string) => ({ stub: `echo '{"clientVersion":{"gitVersion":"${version}"}}'` });
const stubGcloud = (version: string) => ({ stub: `echo '{"Google Cloud SDK": "${version}", "core": "2025.06.20"}'` });

interface Check {
  name: string;
  ok: boolean | null;
  required: boolean;
  detail: string;
  fix: string | null;
}

async function doctor(path: string, repo = makeRepo(exampleFiles()), extra: NodeJS.ProcessEnv = {}) {
  const r = await runCli(['-C', repo, '--json', 'doctor'], { env: cleanEnv({ PATH: path, ...extra }) });
  const checks = (JSON.parse(r.stdout) as { checks: Check[] }).checks;
  return { ...r, checks, check: (name: string) => checks.find((c) => c.name === name) as Check };
}

describe('doctor', () => {
  it('renders every env, one row each: a broken one names its file, line and env; the others pass', async () => {
    const broken = makeRepo(
      exampleFiles({
        'kustomizations/overlays/uat/kustomization.yaml':
          'resources:\n- ../../base\nimages:\n- name: application-image\n  newTag: 1.10\n',
      }),
    );
    const r = await doctor(bin({ git: GIT, kubectl: KUBECTL, kustomize: KUSTOMIZE }), broken);
    expect(r.code).not.toBe(0);
    expect(r.check('render dev').ok).toBe(true);
    expect(r.check('render prod').ok).toBe(true);
    expect(r.check('render uat')).toMatchObject({ ok: false, required: true });
    expect(r.check('render uat').detail).toMatch(
      /kustomizations\/overlays\/uat\/kustomization.yaml:5: .*1\.10.*\(env uat\)/,
    );
    expect(r.check('render uat').fix).toContain('Quote it');
  });

  it('says which overlay folders are not environments (a base beside them, a bad name)', async () => {
    const files = exampleFiles();
    const moved = Object.fromEntries(
      Object.entries(files).map(([k, v]) => [
        k.replace('kustomizations/base/', 'kustomizations/overlays/base/'),
        v.replace('../../base', '../base'),
      ]),
    );
    moved['kustomizations/overlays/Bad Name/kustomization.yaml'] = 'resources:\n- ../base\n';
    // Environments from the folders (no list of them).
    delete moved['gitops-flow.yaml'];
    const r = await doctor(bin({ git: GIT, kubectl: KUBECTL, kustomize: KUSTOMIZE }), makeRepo(moved));
    expect(r.check('config').detail).toContain('3 environment(s): dev, uat, prod');
    expect(r.check('overlay folders')).toMatchObject({ ok: false, required: false });
    expect(r.check('overlay folders').detail).toContain('base (a base: ');
    expect(r.check('overlay folders').detail).toContain('Bad Name (not an environment name');
  });

  it('passes with the pinned kubectl and kustomize; gcloud optional; clusters skipped without a kubeconfig', async () => {
    const r = await doctor(bin({ git: GIT, kubectl: KUBECTL, kustomize: KUSTOMIZE }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.checks.map((c) => c.name)).toEqual([
      'git',
      'kubectl',
      'kustomize',
      'gcloud',
      'config',
      'render dev',
      'render uat',
      'render prod',
      'cluster dev',
      'cluster uat',
      'cluster prod',
      'run: step isolation',
    ]);
    expect(r.check('render dev')).toMatchObject({ ok: true, required: true });
    expect(r.check('render dev').detail).toContain('application-image=registry.example.com/team/pick-manager');
    for (const c of r.checks) expect(Object.keys(c)).toEqual(['name', 'ok', 'required', 'detail', 'fix']);
    expect(r.check('kubectl')).toMatchObject({ ok: true, required: true, fix: null });
    expect(r.check('kubectl').detail).toContain(manifest.kubectl);
    expect(r.check('kustomize').detail).toContain(manifest.kustomize);
    expect(r.check('gcloud')).toMatchObject({
      ok: null,
      required: false,
      detail: 'not found on PATH (optional: no environment uses GKE)',
    });
    expect(r.check('config')).toMatchObject({
      ok: true,
      detail: '3 environment(s): dev, uat, prod (gitops-flow.yaml)',
    });
    expect(r.check('cluster dev')).toMatchObject({ ok: null, required: false });
    expect(r.check('cluster dev').detail).toMatch(/^skipped: KUBECONFIG names no existing file/);
    expect(r.stderr).toMatch(/^✓ git +\S+/m);
    expect(r.stderr).toMatch(/^– cluster prod +skipped: /m);
    expect(r.stderr).toContain('All required checks passed.');
    expect(r.stderr).not.toContain('\x1b[');
  });

  it('stub kubectl reporting the wrong version: ✗ with the pinned version and the fix, exit 1', async () => {
    const r = await doctor(bin({ git: GIT, kubectl: stubKubectl('v1.30.0'), kustomize: KUSTOMIZE }));
    expect(r.code).toBe(1);
    expect(r.check('kubectl')).toMatchObject({ ok: false, required: true });
    expect(r.check('kubectl').detail).toMatch(
      new RegExp(`^v1\\.30\\.0 at \\S+/kubectl, from PATH, pinned ${manifest.kubectl}$`),
    );
    expect(r.check('kubectl').fix).toContain(`Install kubectl ${manifest.kubectl} and put it first on PATH`);
    expect(r.stderr).toMatch(/^✗ kubectl +v1\.30\.0 at /m);
    expect(r.stderr).toMatch(/^ +fix: Run `gitops-flow tools install kubectl`.* Or: Install kubectl/m);
    expect(r.stderr).toContain('error[DOCTOR_FAILED]: 1 required check(s) failed.');
    // doctor() parsed stdout as one JSON document: the error went to stderr only.
    expect(r.stdout).not.toContain('"error"');
  });

  it('stub kubectl whose version cannot be read is a ✗, not a crash', async () => {
    const r = await doctor(bin({ git: GIT, kubectl: { stub: 'echo "boom" >&2; exit 3' }, kustomize: KUSTOMIZE }));
    expect(r.code).toBe(1);
    expect(r.check('kubectl').detail).toContain('cannot read its version (kubectl version --client -o json: boom)');
  });

  it('a missing kustomize: ✗ not found on PATH, exit 1', async () => {
    const r = await doctor(bin({ git: GIT, kubectl: KUBECTL }));
    expect(r.code).toBe(1);
    expect(r.check('kustomize')).toMatchObject({
      ok: false,
      required: true,
      detail: `not found in GITOPS_FLOW_TOOLS_DIR, the tools cache or on PATH (pinned ${manifest.kustomize})`,
    });
    expect(r.check('kubectl').ok).toBe(true);
    expect(r.stderr).toMatch(/^✗ kustomize +not found in GITOPS_FLOW_TOOLS_DIR, the tools cache or on PATH/m);
  });

  it('stub gcloud: required once an environment uses GKE, and checked against the pinned version', async () => {
    const files = exampleFiles({
      'gitops-flow.yaml':
        'environments:\n  dev:\n    cluster: { gke: { project: my-project-1, location: europe-west1, cluster: dev } }\n',
    });
    const missing = await doctor(bin({ git: GIT, kubectl: KUBECTL, kustomize: KUSTOMIZE }), makeRepo(files));
    expect(missing.code).toBe(1);
    expect(missing.check('gcloud')).toMatchObject({ ok: false, required: true });
    const right = await doctor(
      bin({ git: GIT, kubectl: KUBECTL, kustomize: KUSTOMIZE, gcloud: stubGcloud(manifest.gcloud.version) }),
      makeRepo(files),
    );
    expect(right.code, right.stderr).toBe(0);
    expect(right.check('gcloud')).toMatchObject({ ok: true, required: true });
    const wrong = await doctor(
      bin({ git: GIT, kubectl: KUBECTL, kustomize: KUSTOMIZE, gcloud: stubGcloud('400.0.0') }),
      makeRepo(files),
    );
    expect(wrong.check('gcloud')).toMatchObject({
      ok: false,
      required: true,
      detail: expect.stringContaining(`pinned ${manifest.gcloud.version}`),
    });
  });

  it('an invalid config is a ✗ row with every problem and its remediation; clusters are skipped', async () => {
    const repo = makeRepo(exampleFiles({ 'gitops-flow.yaml': 'order: [dev, nope]\nbogus: 1\n' }));
    const r = await doctor(bin({ git: GIT, kubectl: KUBECTL, kustomize: KUSTOMIZE }), repo);
    expect(r.code).toBe(1);
    expect(r.check('config')).toMatchObject({ ok: false, required: true });
    expect(r.check('config').detail).toMatch(/^CONFIG_INVALID: gitops-flow.yaml has \d problem\(s\)/);
    expect(r.check('config').fix).toContain('Fix each field');
    expect(r.check('clusters')).toMatchObject({ ok: null, detail: 'skipped: the config did not load' });
  });

  it('an unreachable cluster is an optional ✗ with a fix (kubectl get --raw /readyz against a closed port)', async () => {
    const home = tempDir();
    const kubeconfig = join(home, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: dev',
        'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1", insecure-skip-tls-verify: true } }]',
        'users: [{ name: u, user: { token: t } }]',
        'contexts: [{ name: dev, context: { cluster: c, user: u } }]',
        '',
      ].join('\n'),
    );
    const r = await doctor(bin({ git: GIT, kubectl: KUBECTL, kustomize: KUSTOMIZE }), undefined, {
      KUBECONFIG: kubeconfig,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.check('cluster dev')).toMatchObject({ ok: false, required: false });
    expect(r.check('cluster dev').detail).toMatch(/^unreachable \(context dev\): .*(refused|127\.0\.0\.1:1)/);
    expect(r.check('cluster dev').fix).toContain('kubectl config get-contexts');
    expect(r.check('cluster uat').detail).toMatch(/^unreachable \(context uat\)/);
    expect(r.stderr).toMatch(/^✗ cluster dev +unreachable .*\(optional\)$/m);
    expect(r.stderr).toContain('All required checks passed (3 optional check(s) failed).');
  });

  it('outside an env repo the config row says how to get one', async () => {
    const r = await doctor(bin({ git: GIT, kubectl: KUBECTL, kustomize: KUSTOMIZE }), tempDir());
    expect(r.code).toBe(1);
    expect(r.check('config').detail).toContain('NO_ENVIRONMENTS');
    expect(r.check('config').fix).toContain('gitops-flow init');
  });

  it('colours only when asked (FORCE_COLOR) and never with NO_COLOR', async () => {
    const path = bin({ git: GIT, kubectl: KUBECTL, kustomize: KUSTOMIZE });
    expect((await doctor(path, undefined, { FORCE_COLOR: '1' })).stderr).toContain('\x1b[32m✓');
    expect((await doctor(path, undefined, { FORCE_COLOR: '1', NO_COLOR: '1' })).stderr).not.toContain('\x1b[');
  });

  it('reads ci/tools.json from the package: the same relative URL works from src/ and dist/', () => {
    const fromDist = new URL(
      '../../../ci/tools.json',
      pathToFileURL(join(REPO_ROOT, 'dist/commands/doctor/manifest.js')),
    );
    expect(fileURLToPath(fromDist)).toBe(join(REPO_ROOT, 'ci/tools.json'));
    expect(fileURLToPath(MANIFEST_URL)).toBe(join(REPO_ROOT, 'ci/tools.json'));
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'ci/tools.json']));
  });
});
