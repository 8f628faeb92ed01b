/**
 * The source of the Dagger module's class (dagger/src/index.ts), generated from the one description of
 * the command line (src/cli/verbs.ts): one function per verb with that verb's options as arguments, and
 * the arguments every call shares (the env repo, credentials, CI context, toolbox) once, on the
 * constructor. The Dagger TypeScript SDK reads a module's functions from its source text, so they are
 * written out rather than built at run time; `npm run gen:dagger` writes the file and a unit test keeps
 * it equal to what this returns.
 */
import { readFileSync } from 'node:fs';
import { CI_VARIABLES, type DaggerSpec, daggerName, GLOBAL_OPTIONS, type OptionSpec, VERBS } from '../src/cli/verbs.js';

/** One parameter as the generated TypeScript declares it. */
interface Param {
  name: string;
  type: string;
  doc: string;
  /** A TypeScript default (`false`, `[]`, `'main'`); else optional (`?`) unless `required`. */
  init?: string;
  required?: boolean;
  decorator?: string;
  /** The field that keeps a constructor argument (default: its name). */
  field?: string;
  /** Kept in the object's one `ciVariables` field (NAME=value) rather than a field of its own. */
  packed?: boolean;
}

const sentence = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}${/[.!?]$/.test(s) ? '' : '.'}`;

/** What the module's own source loads without: what .gitignore lists, git's data, gitlab-ci-local's. */
export function sourceIgnore(gitignore: string): string[] {
  const listed = gitignore
    .split('\n')
    .map((l) => l.trim().replace(/\/$/, ''))
    .filter((l) => l && !l.startsWith('#') && !/[*?[!]/.test(l));
  return [...new Set(['.git', '.gitlab-ci-local', '**/node_modules', ...listed.filter((l) => l !== 'node_modules')])];
}

/** The constructor's parameters: what every function shares. */
export function sharedParams(ignore: string[]): Param[] {
  return [
    {
      name: 'source',
      type: 'Directory',
      required: true,
      decorator: `@argument({ defaultPath: '/', ignore: ${JSON.stringify(ignore)} })`,
      doc: "The gitops-flow repository the toolbox is built from with --build-toolbox. Defaults to this module's own repository (never your working directory: pass your env repo as --repo).",
    },
    {
      name: 'toolbox',
      field: 'toolboxImage',
      type: 'Container',
      doc: 'The toolbox to run in, e.g. a mirror of the published one (an image address). Default: the toolbox published for this version, pinned by digest in ci/tools.json.',
    },
    {
      name: 'buildToolbox',
      type: 'boolean',
      init: 'false',
      doc: "Build the toolbox from this module's source and ci/tools.json's pins instead of using the published one.",
    },
    {
      name: 'mirrors',
      type: 'string[]',
      init: '[]',
      doc: "Images to use instead of ci/tools.json's, each name=reference (node, toolbox, published), e.g. node=registry.internal/library/node@sha256:<digest>.",
    },
    {
      name: 'downloadMirror',
      type: 'string',
      doc: "A base URL that serves the toolbox build's downloads as <base>/<host>/<path> (air-gapped networks); checksums are still verified.",
    },
    { name: 'repo', type: 'Directory', doc: 'The env repo working copy (--repo .).' },
    {
      name: 'repoUrl',
      type: 'string',
      doc: "Or the env repo's clone URL (CI), cloned inside the toolbox on every call; a private repo needs --git-token.",
    },
    { name: 'branch', type: 'string', init: "'main'", doc: 'Branch to clone with --repo-url.' },
    {
      name: 'gitToken',
      type: 'Secret',
      doc: 'Token that may read and push the env repo over HTTPS (env://GITOPS_FLOW_GIT_TOKEN).',
    },
    {
      name: 'kubeconfig',
      type: 'Secret',
      doc: "kubeconfig with the environments' contexts, self-contained (kubectl config view --flatten --minify); mounted as a file.",
    },
    {
      name: 'gcpKey',
      type: 'Secret',
      doc: 'GCP service-account key for GKE environments (file://key.json); mounted as a file.',
    },
    {
      name: 'dockerConfig',
      type: 'Secret',
      doc: 'Registry credentials for --pin-digest: a docker config.json (auths only; no credential helpers in the toolbox).',
    },
    {
      name: 'hostServices',
      type: 'Service[]',
      init: '[]',
      doc: "Services on your machine's loopback the CLI must reach, e.g. tcp://localhost:6443 (a local cluster) or tcp://localhost:8080 (a local git server): inside the toolbox, 127.0.0.1:<port> reaches each, so kubeconfigs and remote URLs stay as they are.",
    },
    {
      name: 'sshAuthSocket',
      type: 'Socket',
      doc: 'Your SSH agent, for SSH remotes (--ssh-auth-socket $SSH_AUTH_SOCK); host keys come from --known-hosts.',
    },
    {
      name: 'knownHosts',
      type: 'File',
      doc: 'The SSH host keys of your remotes (~/.ssh/known_hosts); without them an SSH remote is refused.',
    },
    {
      name: 'secretNames',
      type: 'string[]',
      init: '[]',
      doc: "Names of the secret variables the pipelines' run: steps declare under secrets:, in the order of secretValues.",
    },
    {
      name: 'secretValues',
      type: 'Secret[]',
      init: '[]',
      doc: 'Their values (env://NAME), in the order of secretNames.',
    },
    {
      name: 'verbose',
      type: 'boolean',
      init: 'false',
      doc: sentence(GLOBAL_OPTIONS.find((o) => o.flags === '--verbose')?.description ?? ''),
    },
    ...CI_VARIABLES.map((v) => ({
      name: v.name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
      type: v.secret ? 'Secret' : 'string',
      doc: `${sentence(v.description)} In GitLab CI: ${v.secret ? 'env://' : '"$'}${v.name}${v.secret ? '' : '"'}.`,
      packed: !v.secret,
    })),
  ];
}

/** A verb option as a function parameter. */
function optionParam(o: OptionSpec): Param {
  const own = o.dagger || undefined;
  const doc = own?.description ?? sentence(o.description);
  const name = daggerName(o);
  if (o.kind === 'boolean') return { name, type: 'boolean', init: 'false', doc };
  if (o.kind === 'list')
    return o.required ? { name, type: 'string[]', required: true, doc } : { name, type: 'string[]', init: '[]', doc };
  return { name, type: o.kind === 'int' ? 'number' : 'string', ...(o.required && { required: true }), doc };
}

/** A parameter with its doc comment (the `dagger call --help` text); a default's type is inferred but a list's. */
function declare(p: Param): string {
  const type =
    p.init !== undefined
      ? p.type.endsWith('[]')
        ? `: ${p.type} = ${p.init}`
        : ` = ${p.init}`
      : p.required
        ? `: ${p.type}`
        : `?: ${p.type}`;
  return `/** ${p.doc} */\n${p.decorator ? `${p.decorator} ` : ''}${p.name}${type},`;
}

/** Required parameters first (TypeScript wants optional ones last); otherwise in their order. */
const ordered = (ps: Param[]) => [...ps.filter((p) => p.required), ...ps.filter((p) => !p.required)];

function verbFunction(
  verb: string,
  spec: {
    options: readonly OptionSpec[];
    arguments?: readonly { name: string; description: string }[];
    dagger: DaggerSpec;
  },
): string {
  const args: Param[] = (spec.arguments ?? []).map((a) => ({
    name: a.name,
    type: 'string',
    required: true,
    doc: sentence(a.description),
  }));
  const options = spec.options.filter((o) => o.dagger !== false).map(optionParam);
  const dry = GLOBAL_OPTIONS.find((o) => o.flags === '--dry-run') as OptionSpec;
  const params = ordered([
    ...args,
    ...options,
    ...(spec.dagger.dryRun ? [{ name: 'dryRun', type: 'boolean', init: 'false', doc: sentence(dry.description) }] : []),
  ]);
  const values = [...args, ...options].map((p) => p.name).join(', ');
  const [run, returns] = spec.dagger.returns === 'repo' ? ['runForRepo', 'Directory'] : ['runForOutput', 'string'];
  return [
    `  /** ${spec.dagger.description} */`,
    `  @func({ cache: '${spec.dagger.sideEffects ? 'never' : 'session'}' })`,
    `  async ${verb}(`,
    ...params.map((p) => `    ${declare(p)}`),
    `  ): Promise<${returns}> {`,
    `    return ${run}(this, '${verb}', { ${values} }${spec.dagger.dryRun ? ', dryRun' : ''});`,
    '  }',
  ].join('\n');
}

/** The whole of dagger/src/index.ts (before formatting). */
export function moduleSource(
  gitignore: string = readFileSync(new URL('../.gitignore', import.meta.url), 'utf8'),
): string {
  const shared = sharedParams(sourceIgnore(gitignore));
  const own = shared.filter((p) => !p.packed);
  const packed = shared.filter((p) => p.packed);
  const verbs = Object.entries(VERBS).flatMap(([verb, spec]) => ('dagger' in spec ? [verbFunction(verb, spec)] : []));
  return `// Generated by scripts/gen-dagger.ts from src/cli/verbs.ts: do not edit, run \`npm run gen:dagger\`.
// gitops-flow as Dagger functions (one per verb, each the CLI in the pinned toolbox): what every call
// shares is given once, before the function name (the constructor); each function takes its verb's options.
import type { Container, Directory, File, Secret, Service, Socket } from '@dagger.io/dagger';
import { argument, func, object } from '@dagger.io/dagger';
import { ciVariables, runForOutput, runForRepo, type Shared } from './session.js';
import { resolveToolbox } from './toolbox.js';

@object()
export class GitopsFlow implements Shared {
${own.map((p) => `  ${p.field ?? p.name}${p.init !== undefined || p.required ? '' : '?'}: ${p.type};`).join('\n')}
  ciVariables: string[];

  constructor(
${shared.map((p) => `    ${declare(p)}`).join('\n')}
  ) {
${own.map((p) => `    this.${p.field ?? p.name} = ${p.name};`).join('\n')}
    this.ciVariables = ciVariables({ ${packed.map((p) => p.name).join(', ')} });
  }

  /** The toolbox every function runs in: git, kubectl, kustomize, helm (for build.enableHelm), gcloud with gke-gcloud-auth-plugin (ci/tools.json) and the gitops-flow CLI. */
  @func()
  async toolbox(): Promise<Container> {
    return resolveToolbox(this);
  }
${verbs.join('\n')}
}
`;
}
