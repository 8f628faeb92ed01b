/**
 * The schema of `gitops-flow.yaml`: the source of truth for the config type and for the JSON Schema we
 * export for editors (`npm run schema` writes schema/gitops-flow.schema.json).
 */
import { z } from 'zod';
import { hooksSchema, pipelineSchema } from './pipeline-schema.js';

/** One rule for environment names, whether a config key or an overlay folder's name. */
export const ENV_NAME = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/;
export const ENV_NAME_RULE =
  'an environment name is 1 to 63 lowercase letters, digits, "-" and "_", starting and ending with a letter or digit';

const envName = z.string().regex(ENV_NAME, ENV_NAME_RULE);

/** Options passed to `kustomize build` for an environment. */
const build = z
  .strictObject({
    enableHelm: z
      .boolean()
      .optional()
      .describe('render helmCharts: (kustomize --enable-helm, with the pinned helm); charts must be in the repo'),
    loadRestrictor: z
      .enum(['LoadRestrictionsRootOnly', 'LoadRestrictionsNone'])
      .optional()
      .describe(
        'LoadRestrictionsNone lets a kustomization read files outside its folder (still only inside the repository)',
      ),
  })
  .describe('how `kustomize build` renders this environment');

const relPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..') && !p.includes('\0'), {
    message: 'must be a relative path inside the repository (no "..", not absolute)',
  });

const conditionMatcher = /^[A-Za-z][A-Za-z0-9_.-]*(=(True|False|Unknown))?$/;

const duration = z.string().regex(/^(\d+(ms|s|m|h))+$/, 'a duration like 90s, 5m or 1h30m');

const gke = z.strictObject({
  project: z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a GCP project id')
    .describe('GCP project id'),
  location: z
    .string()
    .regex(/^[a-z]+-[a-z]+[0-9](-[a-z])?$/, 'a region or zone like us-east1 or us-east1-b')
    .describe('region or zone of the cluster'),
  cluster: z
    .string()
    .regex(/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, 'a GKE cluster name')
    .describe('GKE cluster name'),
});

const cluster = z
  .strictObject({
    context: z
      .string()
      .regex(/^[^-\s][^\s]*$/, 'a kubeconfig context name (no spaces, not starting with "-")')
      .optional()
      .describe('kubeconfig context to use for this environment'),
    gke: gke.optional().describe('fetch credentials with `gcloud container clusters get-credentials`'),
  })
  .describe('how to reach the cluster of this environment; default: the current kubeconfig context');

const environment = z.strictObject({
  overlay: relPath.optional().describe('kustomize overlay directory; default kustomizations/overlays/<env>'),
  cluster: cluster.optional(),
  url: z.string().url().optional().describe('the environment URL (GitLab environment:url, via deploy.env)'),
  namespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace name')
    .optional()
    .describe('namespace for resources without one (kubectl --namespace)'),
  promoteFrom: z
    .union([envName, z.array(envName)])
    .optional()
    .describe('environments this one may be promoted from; default: the one before it in `order`'),
  verify: z
    .strictObject({
      timeout: duration.optional().describe('one deadline for applying and verifying every object; default 5m'),
      workloads: z
        .array(z.string().regex(/^[A-Za-z]+\/[a-z0-9.-]+$/, 'Kind/name, e.g. Deployment/web'))
        .optional()
        .describe('only wait for these; default: every object of the render that has a status to wait for'),
      rules: z
        .array(
          z.strictObject({
            kind: z
              .string()
              .regex(
                /^([a-z0-9.-]+\/)?[A-Z][A-Za-z0-9]*$/,
                'Kind or group/Kind, e.g. Certificate or cert-manager.io/Certificate',
              )
              .describe('the kind the rule is for'),
            ready: z
              .array(z.string().regex(conditionMatcher, 'a condition: Type or Type=Status, e.g. Ready or Synced=True'))
              .optional()
              .describe(
                'conditions that must all hold for the object to be ready (default [Ready]); Type means Type=True',
              ),
            failed: z
              .array(
                z.string().regex(conditionMatcher, 'a condition: Type or Type=Status, e.g. Degraded or Ready=False'),
              )
              .optional()
              .describe('conditions any of which fails the deploy'),
          }),
        )
        .optional()
        .describe(
          'which conditions mean ready or failed for a kind (custom resources); a rule overrides the built-in one',
        ),
      skip: z
        .array(z.string().regex(/^([a-z0-9.-]+\/)?[A-Z][A-Za-z0-9]*(\/[a-z0-9.-]+)?$/, 'Kind, group/Kind or Kind/name'))
        .optional()
        .describe('objects not waited for: a Kind, group/Kind or Kind/name'),
      failFast: z
        .union([
          z.boolean(),
          z.strictObject({
            restarts: z
              .number()
              .int()
              .min(1)
              .max(100)
              .optional()
              .describe('restarts of a crash-looping container (default 2)'),
            unschedulable: duration.optional().describe('how long a pod may stay Unschedulable (default 30s)'),
          }),
        ])
        .optional()
        .describe('end the wait as soon as a pod cannot become ready (crash loop, image pull, …); default true'),
    })
    .optional(),
  prune: z
    .union([
      z.boolean(),
      z.strictObject({
        namespaces: z.boolean().optional().describe('also delete Namespaces the render no longer has (default false)'),
        customResourceDefinitions: z
          .boolean()
          .optional()
          .describe('also delete CustomResourceDefinitions the render no longer has (default false)'),
        inventoryNamespace: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace name')
          .optional()
          .describe(
            "where the inventory ConfigMap lives; default: the env's namespace, else the render's one namespace",
          ),
      }),
    ])
    .optional()
    .describe('delete what an earlier deploy of this env applied and the render no longer has (default true)'),
  requireVerified: z
    .boolean()
    .optional()
    .describe('promote into this env only images verified by a deploy of the source env (git notes record)'),
  minSoak: duration.optional().describe('with requireVerified: images must have been verified at least this long ago'),
  remoteResources: z
    .array(z.string().min(1))
    .optional()
    .describe(
      'remote resources (exact entries of resources:, components: or helmCharts repo:) a render of this overlay may fetch; default none: a render reads the commit alone',
    ),
  requireDigest: z
    .boolean()
    .optional()
    .describe(
      'deploy refuses a render with an image not pinned by digest; suggest into this env pins digests (as --pin-digest)',
    ),
  hooks: hooksSchema
    .optional()
    .describe('steps added to the verbs when they release this environment (after the top-level hooks)'),
  includeShared: z
    .boolean()
    .optional()
    .describe(
      'promote, rollback and restore of this env may change files other envs render, as if --include-shared were passed',
    ),
  build: build.optional(),
  registry: z
    .string()
    .regex(
      /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/,
      'a registry host[:port] with an optional path, e.g. registry.prod.example.com/team',
    )
    .optional()
    .describe(
      "this environment's registry: promote rewrites an image's registry (the newName prefix) of the source env to this one",
    ),
});

const mergeRequest = z.strictObject({
  autoMerge: z
    .enum(['auto_merge', 'merge_when_pipeline_succeeds', 'off'])
    .optional()
    .describe(
      'push option that merges when the pipeline succeeds; use merge_when_pipeline_succeeds before GitLab 17.11',
    ),
  removeSourceBranch: z.boolean().optional(),
  labels: z
    .array(
      z
        .string()
        .min(1)
        .regex(/^[^,\n\r]+$/, 'no commas or newlines'),
    )
    .optional(),
  mode: z
    .enum(['push-options', 'api'])
    .optional()
    .describe(
      'how suggest opens the merge request on GitLab: git push options (default) or the REST API (a token with the api scope); GitHub always uses the API',
    ),
  assignees: z
    .array(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a username, without "@"'))
    .optional()
    .describe('API mode: usernames to assign the merge (or pull) request to'),
  closeSuperseded: z
    .boolean()
    .optional()
    .describe(
      'API mode: close open merge requests of older suggestions for the same env whose images the new one sets (default true)',
    ),
});

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  build: build.optional().describe('kustomize build options of every environment (an environment may override them)'),
  overlaysDir: relPath.optional().describe('where overlays live when environments are not listed'),
  order: z.array(envName).optional().describe('promotion order, e.g. [dev, uat, prod]'),
  environments: z.record(envName, environment).optional(),
  registries: z
    .strictObject({
      insecure: z
        .array(
          z
            .string()
            .regex(
              /^[A-Za-z0-9.-]+(:[0-9]+)?$|^\[[0-9a-fA-F:]+\](:[0-9]+)?$/,
              'a registry host[:port], e.g. 127.0.0.1:5000',
            ),
        )
        .optional()
        .describe('registries reached over plain http when resolving digests (host[:port]); all others use https'),
    })
    .optional()
    .describe('how suggest --pin-digest talks to image registries'),
  git: z
    .strictObject({
      targetBranch: z.string().min(1).optional().describe('branch releases land on; default main'),
      branchPrefix: z
        .string()
        .regex(/^[A-Za-z0-9._/-]*$/)
        .optional()
        .describe('prefix of suggest branches'),
      author: z.strictObject({ name: z.string().min(1), email: z.string().email() }).optional(),
      mergeRequest: mergeRequest.optional(),
      forge: z
        .enum(['gitlab', 'github'])
        .optional()
        .describe('where the env repo is hosted; default: github for github.com or $GITHUB_SERVER_URL, else gitlab'),
      forgeUrl: z
        .string()
        .url()
        .regex(/^https?:\/\/[^@\s]+$/, 'an http(s) URL without credentials')
        .optional()
        .describe(
          "web base URL of a self-managed GitLab or GitHub Enterprise, e.g. https://gitlab.example.com; default: $CI_SERVER_URL, else the env repo URL's host",
        ),
    })
    .optional(),
  pipelines: z.record(z.string(), pipelineSchema).optional().describe('pipelines run with `gitops-flow run <name>`'),
  hooks: hooksSchema
    .optional()
    .describe('steps added before/after the steps of the built-in verbs, in every environment'),
});

export type Config = z.infer<typeof configSchema>;

/** The JSON Schema for editors (`$schema:` in gitops-flow.yaml). */
export function jsonSchema(): object {
  return z.toJSONSchema(configSchema, { target: 'draft-2020-12' });
}
