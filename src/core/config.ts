/**
 * Config resolution: convention first (environments are the folders under kustomizations/overlays/),
 * then the optional gitops-flow.yaml. Every problem is reported at once.
 */
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { checkYamlBounds, clampTimeout, own, protoKeys } from './bounds.js';
import { type Config, configSchema, ENV_NAME, ENV_NAME_RULE } from './config-schema.js';
import { parseDuration } from './duration.js';
import { invalid, quote } from './errors.js';
import {
  type HooksDef,
  hooksSchema,
  type PipelineDef,
  pipelineProblems,
  pipelineSchema,
  type StepCatalogue,
} from './pipeline-schema.js';
import { anchorsOf } from './verb-pipelines.js';

export const CONFIG_FILE = 'gitops-flow.yaml';
export const DEFAULT_OVERLAYS_DIR = 'kustomizations/overlays';
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

export interface Environment {
  name: string;
  /** Overlay directory relative to the repo root (forward slashes). */
  overlay: string;
  context?: string;
  gke?: { project: string; location: string; cluster: string };
  namespace?: string;
  url?: string;
  /** Allowed sources for `promote --to <name>`; undefined: any environment. */
  promoteFrom?: string[];
  timeoutMs: number;
  workloads?: string[];
  /** How objects are verified (verify.rules, verify.skip, verify.failFast). */
  verify: {
    rules: { kind: string; ready?: string[]; failed?: string[] }[];
    skip: string[];
    failFast: false | { restarts: number; unschedulableMs: number };
    /** `json` (--json-events): the live report as one JSON event per line on stderr. */
    events?: 'json';
  };
  /** What prune may delete; false: nothing. */
  prune: false | { namespaces: boolean; customResourceDefinitions: boolean; inventoryNamespace?: string };
  /** Promote into this env only verified images of the source env. */
  requireVerified: boolean;
  /** Minimum age of the source's verification, ms. */
  minSoakMs?: number;
  /** Deploy only renders whose images are pinned by digest; suggest pins them. */
  requireDigest?: boolean;
  /** Steps added to the verbs when they release this environment. */
  hooks?: HooksDef;
  /** promote/rollback/restore of this env may change files other envs render (as --include-shared). */
  includeShared?: boolean;
  /** kustomize build options (absent: kustomize's defaults). */
  build?: BuildOptions;
  /** The env's registry (host[:port][/path]): promote moves image names from the source's registry to it. */
  registry?: string;
  /** Remote resources a render may fetch (exact entries); none by default. */
  remoteResources?: string[];
}

export interface BuildOptions {
  enableHelm?: boolean;
  loadRestrictor?: 'LoadRestrictionsRootOnly' | 'LoadRestrictionsNone';
}

export interface ResolvedConfig {
  order: string[];
  environments: Map<string, Environment>;
  targetBranch: string;
  branchPrefix: string;
  author?: { name: string; email: string };
  autoMerge: 'auto_merge' | 'merge_when_pipeline_succeeds' | 'off';
  removeSourceBranch: boolean;
  labels: string[];
  /** Registries (host[:port]) reached over plain http when resolving digests. */
  insecureRegistries: string[];
  /** Merge requests through the forge's API (src/adapters/forges): where, how, to whom. */
  forge: {
    kind?: 'gitlab' | 'github';
    url?: string;
    mode?: 'push-options' | 'api';
    assignees: string[];
    closeSuperseded: boolean;
  };
  /** True when gitops-flow.yaml exists. */
  fromFile: boolean;
  /** Pipelines run with `gitops-flow run <name>`. */
  pipelines: Record<string, PipelineDef>;
  /** Steps added to the verbs in every environment. */
  hooks: HooksDef;
  /** Folders under the overlays directory that are not environments, and why (doctor and status say so). */
  ignoredFolders: { folder: string; reason: string }[];
}

/**
 * Parses and validates gitops-flow.yaml text against the schema and the built-in steps (`steps`, the
 * registry of src/steps); throws one exit-2 error listing every problem.
 */
export function parseConfig(text: string, steps: StepCatalogue): Config {
  checkYamlBounds(text, CONFIG_FILE, 'CONFIG_INVALID');
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw invalid(
      'CONFIG_INVALID',
      `${CONFIG_FILE} is not valid YAML.`,
      `Fix the YAML syntax in ${CONFIG_FILE}.`,
      undefined,
      doc.errors.map((e) => e.message.split('\n')[0] ?? ''),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    // The yaml library refuses alias bombs (billions of laughs) and similar resource exhaustion.
    throw invalid(
      'CONFIG_INVALID',
      `${CONFIG_FILE} could not be read: ${e instanceof Error ? e.message : String(e)}.`,
      `Remove the anchors and aliases that expand it (${CONFIG_FILE} needs none).`,
    );
  }
  // Not a mapping (a list, a scalar — /etc/passwd reads as one long string): say so, never what it holds.
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw invalid(
      'CONFIG_INVALID',
      `${CONFIG_FILE} is not a YAML mapping (it is ${Array.isArray(data) ? 'a list' : `a ${data === null ? 'null' : typeof data}`}).`,
      `${CONFIG_FILE} is a mapping of environments:, git:, pipelines: … (the JSON Schema is schema/gitops-flow.schema.json).`,
    );
  }
  // A `__proto__` key would replace the prototype of the record it is copied into (a pipeline named so).
  const reserved = protoKeys(data);
  if (reserved.length > 0) {
    throw invalid(
      'CONFIG_INVALID',
      `${CONFIG_FILE} has ${reserved.length} problem(s).`,
      'Rename each key listed: __proto__ is reserved.',
      undefined,
      reserved.map((p) => `${p}: __proto__ is not allowed as a name`),
    );
  }
  const result = configSchema.safeParse(data);
  if (!result.success || pipelinesOf(data, steps).length > 0) {
    const problems = (result.error?.issues ?? []).map((i) => {
      const at = i.path.length ? i.path.join('.') : '(top level)';
      const value = valueAt(data, i.path);
      const shown =
        typeof value === 'string'
          ? quote(value)
          : typeof value === 'number' || typeof value === 'boolean'
            ? String(value)
            : undefined;
      return `${at}: ${i.message}${shown === undefined ? '' : ` (got ${shown})`}`;
    });
    problems.push(...pipelinesOf(data, steps));
    throw invalid(
      'CONFIG_INVALID',
      `${CONFIG_FILE} has ${problems.length} problem(s).`,
      `Fix each field listed; the JSON Schema is schema/gitops-flow.schema.json.`,
      undefined,
      problems,
    );
  }
  return result.data;
}

/**
 * What the schema cannot check in pipelines and hooks (unknown steps and inputs, expressions, cycles):
 * checked on every part that parses, so these come with the schema's own problems, all at once.
 */
function pipelinesOf(data: unknown, steps: StepCatalogue): string[] {
  const d = (data ?? {}) as Record<string, unknown>;
  const pipelines = z.record(z.string(), pipelineSchema).safeParse(d.pipelines ?? {});
  const hooks: { at: string; hooks: HooksDef }[] = [];
  const top = hooksSchema.safeParse(d.hooks ?? {});
  if (top.success) hooks.push({ at: 'hooks', hooks: top.data });
  const envs =
    d.environments && typeof d.environments === 'object'
      ? Object.entries(d.environments as Record<string, unknown>)
      : [];
  for (const [name, env] of envs) {
    const h = hooksSchema.safeParse((env as Record<string, unknown> | null)?.hooks ?? {});
    if (h.success) hooks.push({ at: `environments.${name}.hooks`, hooks: h.data });
  }
  return pipelineProblems(pipelines.success ? pipelines.data : undefined, hooks, anchorsOf, steps);
}

function valueAt(data: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/**
 * Resolves the effective config. `overlayFolders` are the folder names found under the overlays dir,
 * used when the config does not list environments.
 */
export function resolveConfig(
  config: Config | undefined,
  overlayFolders: string[],
  ignored: { folder: string; reason: string }[] = [],
): ResolvedConfig {
  const c = config ?? {};
  const overlaysDir = c.overlaysDir ?? DEFAULT_OVERLAYS_DIR;
  const declared = c.environments ?? {};
  const ignoredFolders = [...ignored];
  // Folders follow the rule config keys follow; one that does not is skipped (and reported), not fatal.
  const folders = overlayFolders.filter((f) => {
    if (ENV_NAME.test(f)) return true;
    ignoredFolders.push({ folder: f, reason: `not an environment name: ${ENV_NAME_RULE}` });
    return false;
  });
  const names = Object.keys(declared).length > 0 ? Object.keys(declared) : folders;
  const order = c.order ?? (Object.keys(declared).length > 0 ? names : conventionalOrder(names));
  const problems: string[] = [];
  for (const name of order)
    if (!names.includes(name))
      problems.push(`order: ${quote(name)} is not an environment (have: ${names.join(', ') || 'none'})`);

  const environments = new Map<string, Environment>();
  for (const name of [...order.filter((n) => names.includes(n)), ...names.filter((n) => !order.includes(n))]) {
    const e = own(declared, name) ?? {};
    const index = order.indexOf(name);
    const promoteFrom =
      e.promoteFrom === undefined
        ? c.order || config?.environments
          ? index > 0
            ? [order[index - 1] as string]
            : []
          : undefined
        : [e.promoteFrom].flat();
    for (const from of promoteFrom ?? []) {
      if (!names.includes(from))
        problems.push(`environments.${name}.promoteFrom: ${quote(from)} is not an environment`);
    }
    environments.set(name, {
      name,
      overlay: e.overlay ?? `${overlaysDir}/${name}`,
      ...(e.cluster?.context && { context: e.cluster.context }),
      ...(e.cluster?.gke && { gke: e.cluster.gke }),
      ...(e.namespace && { namespace: e.namespace }),
      ...(e.url && { url: e.url }),
      ...(promoteFrom && { promoteFrom }),
      timeoutMs: e.verify?.timeout ? clampTimeout(parseDuration(e.verify.timeout)) : DEFAULT_TIMEOUT_MS,
      ...(e.verify?.workloads && { workloads: e.verify.workloads }),
      verify: {
        rules: e.verify?.rules ?? [],
        skip: e.verify?.skip ?? [],
        failFast:
          e.verify?.failFast === false
            ? false
            : {
                restarts: (typeof e.verify?.failFast === 'object' && e.verify.failFast.restarts) || 2,
                unschedulableMs:
                  typeof e.verify?.failFast === 'object' && e.verify.failFast.unschedulable
                    ? parseDuration(e.verify.failFast.unschedulable)
                    : 30_000,
              },
      },
      prune:
        e.prune === false
          ? false
          : {
              namespaces: typeof e.prune === 'object' && e.prune.namespaces === true,
              customResourceDefinitions: typeof e.prune === 'object' && e.prune.customResourceDefinitions === true,
              ...(typeof e.prune === 'object' &&
                e.prune.inventoryNamespace && { inventoryNamespace: e.prune.inventoryNamespace }),
            },
      requireVerified: e.requireVerified ?? false,
      ...(e.minSoak && { minSoakMs: parseDuration(e.minSoak) }),
      ...(e.requireDigest && { requireDigest: true }),
      ...(e.hooks && { hooks: e.hooks }),
      ...(e.includeShared && { includeShared: true }),
      ...((c.build || e.build) && { build: { ...c.build, ...e.build } }),
      ...(e.registry && { registry: e.registry }),
      ...(e.remoteResources && { remoteResources: e.remoteResources }),
    });
    if (e.minSoak && !e.requireVerified)
      problems.push(
        `environments.${name}.minSoak: needs requireVerified: true (soak is measured from the verification)`,
      );
  }
  if (problems.length > 0) {
    throw invalid(
      'CONFIG_INVALID',
      `${CONFIG_FILE} has ${problems.length} problem(s).`,
      'Fix each field listed.',
      undefined,
      problems,
    );
  }
  const mr = c.git?.mergeRequest ?? {};
  return {
    order,
    environments,
    targetBranch: c.git?.targetBranch ?? 'main',
    branchPrefix: c.git?.branchPrefix ?? 'gitops-flow/',
    ...(c.git?.author && { author: c.git.author }),
    autoMerge: mr.autoMerge ?? 'auto_merge',
    removeSourceBranch: mr.removeSourceBranch ?? true,
    labels: mr.labels ?? ['gitops-flow'],
    insecureRegistries: c.registries?.insecure ?? [],
    forge: {
      kind: c.git?.forge,
      url: c.git?.forgeUrl,
      mode: mr.mode,
      assignees: mr.assignees ?? [],
      closeSuperseded: mr.closeSuperseded ?? true,
    },
    fromFile: config !== undefined,
    pipelines: c.pipelines ?? {},
    hooks: c.hooks ?? {},
    ignoredFolders: Object.keys(declared).length > 0 ? [] : ignoredFolders,
  };
}

const WELL_KNOWN = [
  'dev',
  'development',
  'test',
  'qa',
  'int',
  'staging',
  'stage',
  'uat',
  'preprod',
  'prod',
  'production',
];

/** dev, uat, prod and friends in their usual order, then the rest alphabetically. */
function conventionalOrder(names: string[]): string[] {
  const rank = (n: string) => (WELL_KNOWN.includes(n) ? WELL_KNOWN.indexOf(n) : WELL_KNOWN.length);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Looks up an environment or throws exit 2 listing the known ones. */
export function getEnvironment(config: ResolvedConfig, name: string): Environment {
  const env = config.environments.get(name);
  if (!env) {
    const known = [...config.environments.keys()];
    throw invalid(
      'ENV_UNKNOWN',
      `Unknown environment ${quote(name)}.`,
      known.length
        ? `Use one of: ${known.join(', ')}.`
        : `Create ${DEFAULT_OVERLAYS_DIR}/<env>/kustomization.yaml or declare environments in ${CONFIG_FILE}.`,
      name,
    );
  }
  return env;
}

/** The environment with the verify flags of the command line: --no-fail-fast, --json-events. */
export function withVerifyFlags(env: Environment, o: { failFast?: boolean; jsonEvents?: boolean }): Environment {
  return {
    ...env,
    verify: {
      ...env.verify,
      ...(o.failFast === false && { failFast: false as const }),
      ...(o.jsonEvents && { events: 'json' as const }),
    },
  };
}
