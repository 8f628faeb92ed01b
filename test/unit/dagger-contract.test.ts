/**
 * Contract tests of the Dagger module (dagger/), without an engine: no Dagger engine can run on the
 * development machines, so the module's recipe is checked statically (the TypeScript AST and type
 * checker) against ci/tools.json, and its argv builders against the CLI's own flags. The argv are run
 * for real in test/integration/dagger-argv.test.ts (and deploy's in test/e2e/gitlab-ci.e2e.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { verbArgv } from '../../dagger/src/argv.js';
import { gcloudArchive, gcloudPlatform, PINNED_IMAGE, parseManifest } from '../../dagger/src/toolbox.js';
import { type DaggerVerb, VERBS } from '../../src/cli/verbs.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/git-fixtures.js';

const MODULE_FILES = ['dagger/src/index.ts', 'dagger/src/toolbox.ts', 'dagger/src/argv.ts'].map((f) =>
  join(REPO_ROOT, f),
);
const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8')) as {
  kubectl: string;
  kustomize: string;
  gcloud: { version: string; url: string; components: string[]; sha256: Record<string, string | null> };
  images: Record<string, string>;
};

const program = ts.createProgram(MODULE_FILES, {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  experimentalDecorators: true,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
});
const checker = program.getTypeChecker();
const source = (file: string): ts.SourceFile => program.getSourceFile(join(REPO_ROOT, file)) as ts.SourceFile;

function nodes(root: ts.Node): ts.Node[] {
  const out: ts.Node[] = [];
  const walk = (n: ts.Node) => {
    out.push(n);
    ts.forEachChild(n, walk);
  };
  walk(root);
  return out;
}

/** Calls `<expr>.<method>(…)` in a file. */
function methodCalls(file: ts.SourceFile, method: string): ts.CallExpression[] {
  return nodes(file).filter(
    (n): n is ts.CallExpression =>
      ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === method,
  );
}

/** A string-literal `const` (module or function scope) an identifier refers to, if any. */
function constString(id: ts.Identifier): string | undefined {
  const decl = checker.getSymbolAtLocation(id)?.valueDeclaration;
  if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer) return undefined;
  const list = decl.parent;
  if (!ts.isVariableDeclarationList(list) || !(list.flags & ts.NodeFlags.Const)) return undefined;
  return ts.isStringLiteralLike(decl.initializer) ? decl.initializer.text : undefined;
}

function isSecretType(t: ts.Type): boolean {
  if (t.isUnion()) return t.types.some(isSecretType);
  return (t.getSymbol() ?? t.aliasSymbol)?.getName() === 'Secret';
}

/**
 * Every place a value of type Secret flows, other than the two ways into a container that keep it a
 * secret (withSecretVariable / withMountedSecret), a truthiness check, or an object literal handed to the
 * module's own helper methods (whose parameters are checked the same way).
 */
function secretLeaks(files: ts.SourceFile[], c: ts.TypeChecker): string[] {
  const leaks: string[] = [];
  const where = (n: ts.Node) =>
    `${n.getSourceFile().fileName.replace(REPO_ROOT, '')}:${n.getSourceFile().getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${n.parent.getText().slice(0, 120)}`;
  for (const file of files) {
    for (const n of nodes(file)) {
      if (!(ts.isIdentifier(n) || ts.isPropertyAccessExpression(n))) continue;
      if (ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) continue; // the `.x` of `a.x`: judged as a.x
      if (
        ts.isParameter(n.parent) ||
        ts.isPropertySignature(n.parent) ||
        ts.isTypeReferenceNode(n.parent) ||
        ts.isQualifiedName(n.parent)
      )
        continue;
      if (ts.isImportSpecifier(n.parent) || ts.isPropertyDeclaration(n.parent)) continue;
      if (!isSecretType(c.getTypeAtLocation(n))) continue;
      const p = n.parent;
      if (
        ts.isCallExpression(p) &&
        p.arguments.includes(n as ts.Expression) &&
        ts.isPropertyAccessExpression(p.expression)
      ) {
        const m = p.expression.name.text;
        if ((m === 'withSecretVariable' || m === 'withMountedSecret') && p.arguments.indexOf(n as ts.Expression) === 1)
          continue;
      }
      if (
        (ts.isIfStatement(p) && p.expression === n) ||
        (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken)
      )
        continue;
      if (ts.isShorthandPropertyAssignment(p) || ts.isPropertyAssignment(p)) {
        let o: ts.Node = p.parent;
        while (ts.isObjectLiteralExpression(o.parent) || ts.isPropertyAssignment(o.parent)) o = o.parent;
        const call = o.parent;
        if (
          ts.isCallExpression(call) &&
          ts.isPropertyAccessExpression(call.expression) &&
          call.expression.expression.kind === ts.SyntaxKind.ThisKeyword
        )
          continue;
      }
      leaks.push(where(n));
    }
  }
  return leaks;
}

/** The `@func(…)` methods of the module's class with their options. */
function functions(): {
  name: string;
  cache?: string;
  params: { name: string; type: string; doc: string }[];
  doc: string;
}[] {
  const cls = nodes(source('dagger/src/index.ts')).find(ts.isClassDeclaration) as ts.ClassDeclaration;
  return cls.members.filter(ts.isMethodDeclaration).flatMap((m) => {
    const deco = ts
      .getDecorators(m)
      ?.find((d) => ts.isCallExpression(d.expression) && d.expression.expression.getText() === 'func');
    if (!deco) return [];
    const arg = (deco.expression as ts.CallExpression).arguments[0];
    const cacheProp =
      arg && ts.isObjectLiteralExpression(arg)
        ? arg.properties.find(
            (p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === 'cache',
          )
        : undefined;
    const docOf = (n: ts.Node) =>
      ts
        .getJSDocCommentsAndTags(n)
        .map((d) => d.getText())
        .join('\n');
    return [
      {
        name: m.name.getText(),
        ...(cacheProp && ts.isStringLiteralLike(cacheProp.initializer) && { cache: cacheProp.initializer.text }),
        params: m.parameters.map((p) => ({
          name: p.name.getText(),
          type: checker.typeToString(checker.getTypeAtLocation(p)),
          doc: docOf(p),
        })),
        doc: docOf(m),
      },
    ];
  });
}

describe('contract: dagger.json and the SDK', () => {
  it('contract: engineVersion is "v" + the exact SDK the module\'s package.json and lockfile pin (the one tests use too)', () => {
    const dagger = JSON.parse(readFileSync(join(REPO_ROOT, 'dagger.json'), 'utf8')) as {
      engineVersion: string;
      source: string;
      sdk: { source: string };
    };
    const json = (f: string) => JSON.parse(readFileSync(join(REPO_ROOT, f), 'utf8'));
    const sdk = json('dagger/package.json').dependencies['@dagger.io/dagger'] as string;
    expect(sdk).toMatch(/^\d+\.\d+\.\d+$/);
    expect(dagger.engineVersion).toBe(`v${sdk}`);
    expect(dagger).toMatchObject({ source: 'dagger', sdk: { source: 'typescript' } });
    const lock = json('dagger/package-lock.json').packages['node_modules/@dagger.io/dagger'];
    expect(lock.version).toBe(sdk);
    expect(lock.integrity).toMatch(/^sha512-/);
    // The CLI does not ship the SDK: the repository's tests and type checks use it, at the same version.
    expect(json('package.json').dependencies['@dagger.io/dagger']).toBeUndefined();
    expect(json('package.json').devDependencies['@dagger.io/dagger']).toBe(sdk);
    expect(json('node_modules/@dagger.io/dagger/package.json').version).toBe(sdk);
  });

  it('contract: the module type-checks against the pinned SDK', () => {
    const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(errors).toEqual([]);
  });
});

describe('contract: the toolbox recipe', () => {
  it('contract: every image in ci/tools.json is pinned by digest, and the module refuses one that is not', () => {
    expect(Object.keys(manifest.images).sort()).toEqual(['golang', 'node', 'toolbox']);
    for (const ref of Object.values(manifest.images)) expect(ref).toMatch(PINNED_IMAGE);
    expect(parseManifest(readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8')).images).toEqual(manifest.images);
    expect(() =>
      parseManifest(JSON.stringify({ ...manifest, images: { ...manifest.images, node: 'node:20-bookworm-slim' } })),
    ).toThrow(/images\.node .*pin it by digest/);
  });

  it('contract: every .from( in the module takes an image of ci/tools.json, and no image name is written in the module', () => {
    const froms = MODULE_FILES.map((f) => program.getSourceFile(f) as ts.SourceFile).flatMap((f) =>
      methodCalls(f, 'from'),
    );
    expect(froms.length).toBeGreaterThanOrEqual(4);
    for (const call of froms) {
      const arg = call.arguments[0] as ts.Expression;
      expect(
        ts.isPropertyAccessExpression(arg) &&
          ts.isPropertyAccessExpression(arg.expression) &&
          arg.expression.name.text === 'images',
        call.getText(),
      ).toBe(true);
      expect(Object.keys(manifest.images)).toContain((arg as ts.PropertyAccessExpression).name.text);
    }
    const literals = MODULE_FILES.flatMap((f) => nodes(program.getSourceFile(f) as ts.SourceFile))
      .filter(ts.isStringLiteralLike)
      .map((s) => s.text);
    expect(
      literals.filter((s) => /^(docker\.io\/)?(library\/)?(node|golang|debian|alpine|ubuntu)(:|@)/.test(s)),
    ).toEqual([]);
  });

  it('contract: no withEnvVariable carries a secret: values are constants, and Secrets only reach withSecretVariable/withMountedSecret', () => {
    const files = ['dagger/src/index.ts', 'dagger/src/toolbox.ts'].map(source);
    const envCalls = files.flatMap((f) => methodCalls(f, 'withEnvVariable'));
    expect(envCalls.length).toBeGreaterThan(3);
    for (const call of envCalls) {
      const value = call.arguments[1] as ts.Expression;
      const ok =
        ts.isStringLiteralLike(value) ||
        (ts.isIdentifier(value) && constString(value) !== undefined) ||
        (ts.isCallExpression(value) && value.expression.getText() === 'invocationId');
      expect(ok, `${call.getText()}: the value must be a string constant`).toBe(true);
      expect((call.arguments[0] as ts.Expression).getText()).not.toMatch(/TOKEN|PASSWORD|SECRET/);
    }
    expect(files.flatMap((f) => nodes(f)).filter((n) => ts.isIdentifier(n) && n.text === 'plaintext')).toEqual([]);
    expect(secretLeaks(files, checker)).toEqual([]);
    // Every Secret argument of every function is one the helper mounts or exposes as a secret variable.
    const secretParams = new Set(
      functions().flatMap((f) => f.params.filter((p) => p.type.includes('Secret')).map((p) => p.name)),
    );
    expect([...secretParams].sort()).toEqual(['dockerConfig', 'gcpKey', 'gitToken', 'kubeconfig', 'secretValues']);
    const secured = files
      .flatMap((f) => [...methodCalls(f, 'withSecretVariable'), ...methodCalls(f, 'withMountedSecret')])
      .map((c) => (c.arguments[1] as ts.Expression).getText());
    for (const name of [...secretParams].filter((p) => p !== 'secretValues'))
      expect(secured).toContain(`inputs.${name}`);
    // run's secretValues (the secrets: its pipeline's run: steps declare) become secret variables one by one.
    expect(secured).toContain('values[i] as Secret');
  });

  it('contract: the secret check is not vacuous: it flags a secret turned into an environment value', () => {
    const bad = `import { dag, type Secret } from '@dagger.io/dagger';
export async function leak(token: Secret) {
  const c = dag.container().withSecretVariable('OK', token);
  const plain = await token.plaintext();
  return c.withEnvVariable('GIT_TOKEN', plain).withLabel('x', String(token));
}`;
    const file = join(REPO_ROOT, 'dagger/src/__leak_fixture.ts');
    const host = ts.createCompilerHost({ strict: true, skipLibCheck: true });
    const read = host.readFile.bind(host);
    host.readFile = (f) => (f === file ? bad : read(f));
    const getSource = host.getSourceFile.bind(host);
    host.getSourceFile = (f, v) => (f === file ? ts.createSourceFile(f, bad, v, true) : getSource(f, v));
    host.fileExists = (
      (exists) => (f: string) =>
        f === file || exists(f)
    )(host.fileExists.bind(host));
    const p = ts.createProgram(
      [file],
      {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        skipLibCheck: true,
      },
      host,
    );
    const leaks = secretLeaks([p.getSourceFile(file) as ts.SourceFile], p.getTypeChecker());
    expect(leaks.some((l) => l.includes('token.plaintext'))).toBe(true);
    expect(leaks.some((l) => l.includes('String(token)'))).toBe(true);
    expect(leaks.some((l) => l.includes("withSecretVariable('OK', token)"))).toBe(false);
  });

  it('contract: kubectl, kustomize and gcloud come from the manifest (no version written in the module), built as the test harness builds them', () => {
    const toolboxText = readFileSync(join(REPO_ROOT, 'dagger/src/toolbox.ts'), 'utf8');
    const literals = MODULE_FILES.flatMap((f) => nodes(program.getSourceFile(f) as ts.SourceFile))
      .filter(ts.isStringLiteralLike)
      .map((s) => s.text);
    expect(literals.filter((s) => /\bv?\d+\.\d+\.\d+\b/.test(s))).toEqual([]);
    // The same script and tools the test harness (src/cluster/tools.ts) builds: ci/tools/build.sh.
    expect(toolboxText).toContain("withExec(['bash', 'ci/tools/build.sh', 'kustomize', 'kubectl'])");
    // The binary paths are the template literals of the toolbox source, read as text.
    expect(toolboxText).toContain(['/out/bin/kustomize-$', '{m.kustomize}/kustomize'].join(''));
    expect(toolboxText).toContain(['/out/bin/kubectl-$', '{m.kubectl}/kubectl'].join(''));
    const gomod = (dir: string) => readFileSync(join(REPO_ROOT, 'ci/tools', dir, 'go.mod'), 'utf8');
    expect(gomod('kubernetes')).toMatch(
      new RegExp(`^(require)?\\s*k8s\\.io/kubernetes ${manifest.kubectl.replaceAll('.', '\\.')}$`, 'm'),
    );
    expect(gomod('kustomize')).toMatch(
      new RegExp(
        `^(require)?\\s*sigs\\.k8s\\.io/kustomize/kustomize/v5 ${manifest.kustomize.replaceAll('.', '\\.')}$`,
        'm',
      ),
    );
    // The binaries the tests run (built by the same script) report exactly these versions.
    const [kustomizeDir, kubectlDir] = inject('toolPath').split(':') as [string, string];
    expect(
      execFileSync(join(kubectlDir, 'kubectl'), ['version', '--client', '-o', 'json'], { encoding: 'utf8' }),
    ).toContain(`"gitVersion": "${manifest.kubectl}"`);
    expect(execFileSync(join(kustomizeDir, 'kustomize'), ['version'], { encoding: 'utf8' }).trim()).toBe(
      manifest.kustomize,
    );
    // gcloud: the manifest's version and URL, per platform; a checksum exactly when the manifest has one.
    expect(gcloudPlatform('linux/amd64')).toBe('linux-x86_64');
    expect(gcloudPlatform('linux/arm64/v8')).toBe('linux-arm');
    expect(() => gcloudPlatform('windows/amd64')).toThrow(/no gcloud archive/);
    const m = parseManifest(readFileSync(join(REPO_ROOT, 'ci/tools.json'), 'utf8'));
    const a = gcloudArchive(m, 'linux/amd64');
    expect(a.url).toBe(
      `https://dl.google.com/dl/cloudsdk/channels/rapid/downloads/google-cloud-cli-${manifest.gcloud.version}-linux-x86_64.tar.gz`,
    );
    expect(a.checksum).toBe(
      manifest.gcloud.sha256['linux-x86_64'] ? `sha256:${manifest.gcloud.sha256['linux-x86_64']}` : undefined,
    );
    const pinned = { ...m, gcloud: { ...m.gcloud, sha256: { 'linux-x86_64': 'a'.repeat(64) } } };
    expect(gcloudArchive(pinned, 'linux/amd64').checksum).toBe(`sha256:${'a'.repeat(64)}`);
    expect(manifest.gcloud.components).toEqual(['gke-gcloud-auth-plugin']);
    expect(toolboxText).toContain("'components', 'install', ...m.gcloud.components");
  });
});

describe('contract: the functions', () => {
  it('contract: one function per verb, and every side-effecting one is cache "never"', () => {
    const fns = functions();
    const daggerVerbs = Object.entries(VERBS).flatMap(([v, s]) => ('dagger' in s ? [v] : []));
    expect(fns.map((f) => f.name).sort()).toEqual(['toolbox', ...daggerVerbs].sort());
    for (const f of fns.filter((x) => x.name !== 'toolbox')) {
      const verb = VERBS[f.name as DaggerVerb].dagger;
      if (verb.sideEffects) expect(f.cache, f.name).toBe('never');
      else expect(f.cache, f.name).not.toBe('never');
    }
  });

  it('contract: every function and every argument has a doc comment (the dagger call --help text)', () => {
    for (const f of functions()) {
      expect(f.doc, f.name).toMatch(/^\/\*\*/);
      for (const p of f.params) expect(p.doc, `${f.name}(${p.name})`).toMatch(/^\/\*\*/);
    }
  });

  it("contract: the env repo is a Directory or a URL, never a defaultPath (that would be this module's repository)", () => {
    const fns = functions().filter((f) => f.name !== 'toolbox' && f.name !== 'suggest');
    for (const f of fns) {
      expect(f.params.find((p) => p.name === 'repo')?.type, f.name).toMatch(/Directory/);
      expect(f.params.find((p) => p.name === 'repoUrl')?.type, f.name).toMatch(/string/);
    }
    const text = readFileSync(join(REPO_ROOT, 'dagger/src/index.ts'), 'utf8');
    expect(text.match(/defaultPath/g)).toHaveLength(2); // the module's own source, and the doc comment saying so
  });

  it('contract: every flag an argv builder can emit is one the CLI lists for that verb', async () => {
    const g = { repoDir: '/repo', dryRun: true };
    const full: Record<DaggerVerb, string[]> = {
      render: verbArgv('render', { env: 'dev', ref: 'HEAD' }, g),
      suggest: verbArgv(
        'suggest',
        {
          envRepo: 'file:///x',
          env: 'dev',
          images: ['a=b:1'],
          targetBranch: 'main',
          pushToTarget: true,
          force: true,
          pinDigest: true,
          mergeRequest: 'api',
          upstreamProject: 'p',
          upstreamCommit: 'c',
          upstreamRef: 'r',
          upstreamPipeline: '1',
          upstreamPipelineUrl: 'u',
          upstreamMessage: 'm',
        },
        { dryRun: true },
      ),
      deploy: verbArgv('deploy', { env: 'dev', ref: 'HEAD', timeout: '5m', lastGood: 'HEAD~1' }, g),
      promote: verbArgv(
        'promote',
        { from: 'dev', to: 'uat', images: ['a'], noDeploy: true, noPush: true, timeout: '5m', force: true },
        g,
      ),
      rollback: verbArgv(
        'rollback',
        { env: 'uat', to: 'HEAD~1', reason: 'r', noDeploy: true, noPush: true, timeout: '5m' },
        g,
      ),
      restore: verbArgv(
        'restore',
        { env: 'uat', allEnvs: true, at: 'HEAD', noDeploy: true, noPush: true, timeout: '5m' },
        g,
      ),
      status: verbArgv('status', { noCluster: true }, g),
      history: verbArgv('history', { env: 'dev', since: '2026-01-01', limit: 3 }, g),
      doctor: verbArgv('doctor', {}, g),
      run: verbArgv('run', { pipeline: 'release', inputs: ['target=uat'], env: 'uat' }, g),
    };
    const flagsIn = (help: string) => new Set(help.match(/--[a-z][a-z-]*/g) ?? []);
    const globals = flagsIn((await runCli(['--help'])).stdout);
    for (const [verb, args] of Object.entries(full)) {
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
  });
});

describe('contract: the Dagger variants of the GitLab CI/CD components', () => {
  type Jobs = Record<string, { script?: string[] }>;
  /** A component's jobs: the document after its `spec:` header, inputs not yet interpolated. */
  const component = (name: string) =>
    parseAllDocuments(readFileSync(join(REPO_ROOT, 'templates', name), 'utf8'))[1]?.toJSON() as Jobs;

  it('contract: every `dagger call` names a function of the module with its own arguments; secrets only as file:// or env://', () => {
    const fns = new Map(functions().map((f) => [f.name, f]));
    const calls = readdirSync(join(REPO_ROOT, 'templates'))
      .filter((f) => f.startsWith('dagger-'))
      .flatMap((f) => Object.values(component(f)).flatMap((j) => j.script ?? []))
      .filter((line) => line.includes('dagger call'));
    expect(calls.length).toBeGreaterThanOrEqual(5);
    const camel = (flag: string) => flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    for (const line of calls) {
      const m = /dagger call -m "\$GITOPS_FLOW_DAGGER_MODULE" ([a-z]+) (.*?)(?: export --path \.)?$/s.exec(line.trim());
      expect(m, line).not.toBeNull();
      const [, fn, rest] = m as unknown as [string, string, string];
      const f = fns.get(fn);
      expect(f, `${fn}: not a function of the module`).toBeDefined();
      const params = new Map(f?.params.map((p) => [p.name, p.type]));
      for (const flag of rest.match(/(?<![\w-])--[a-z][a-z-]*/g) ?? [])
        expect(params.has(camel(flag)), `${fn} ${flag}`).toBe(true);
      for (const [name, type] of params) {
        if (!type.includes('Secret')) continue;
        const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
        const value = new RegExp(`${flag} "?([^\\s"]+)`).exec(rest)?.[1];
        if (value !== undefined) expect(value, `${fn} ${flag}`).toMatch(/^(file|env):\/\//);
      }
      if (f?.params.some((p) => p.name === 'repo') && fn !== 'render') expect(line, fn).toMatch(/ export --path \.$/);
    }
  });
});
