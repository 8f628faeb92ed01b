/**
 * Pipelines made of gitops-flow's GitLab CI/CD components (templates/*.yml), the way a user writes them.
 * A user includes `component: $CI_SERVER_FQDN/<group>/gitops-flow/<name>@<version>`; the tests copy the
 * same files into the repo and include them with `local:` and the same `inputs:` (GitLab and
 * gitlab-ci-local interpolate both kinds of include alike).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { deploymentTier } from '../../src/commands/init/templates.js';
import { makeRepo, REPO_ROOT } from './git-fixtures.js';

export const GITLAB_CI_LOCAL = join(REPO_ROOT, 'node_modules', 'gitlab-ci-local', 'src', 'index.js');
const COMPONENTS = join(REPO_ROOT, 'templates');
/** Where the tests put the component files inside a repo. */
const DIR = 'gitops-flow-ci';

type Include = { local: string; inputs: Record<string, string> };

/** The component files, under `gitops-flow-ci/`, as a `{ path: content }` map. */
export function componentFiles(): Record<string, string> {
  return Object.fromEntries(
    readdirSync(COMPONENTS).map((f) => [`${DIR}/${f}`, readFileSync(join(COMPONENTS, f), 'utf8')]),
  );
}

/** `dagger`: the Dagger variant of each component (`dagger-<name>.yml`), which needs a `module` input. */
export interface Variant {
  dagger?: boolean;
}

const MODULE = 'gitlab.example.com/platform/gitops-flow@v0.1.0';

function include(name: string, inputs: Record<string, string>, v: Variant = {}): Include {
  return {
    local: `${DIR}/${v.dagger ? 'dagger-' : ''}${name}.yml`,
    inputs: { ...inputs, ...(v.dagger && { module: MODULE }) },
  };
}

/**
 * An env repo's pipeline for these envs (in promotion order): the first deployed in merge requests, each
 * later one promoted from the one before, every one with rollback and restore jobs.
 */
export function envRepoPipeline(envs: string[], v: Variant = {}): Record<string, string> {
  const tier = (env: string) => ({ 'deployment-tier': deploymentTier(env) });
  const includes = [
    include('deploy', { env: envs[0] as string, ...tier(envs[0] as string) }, v),
    ...envs.slice(1).map((to, i) => include('promote', { from: envs[i] as string, to, ...tier(to) }, v)),
    ...envs.map((env) => include('recover', { env, ...tier(env) }, v)),
  ];
  return {
    ...componentFiles(),
    '.gitlab-ci.yml': stringify({ stages: ['deploy', 'promote', 'recover'], include: includes }),
  };
}

/** An app repo's pipeline that suggests its image to `env` of the env repo at `envRepo`. */
export function appRepoPipeline(
  envRepo: string,
  images: string,
  v: Variant = {},
  inputs: Record<string, string> = {},
): Record<string, string> {
  return {
    ...componentFiles(),
    '.gitlab-ci.yml': stringify({ include: [include('suggest', { 'env-repo': envRepo, images, ...inputs }, v)] }),
  };
}

/**
 * gitlab-ci-local's `--preview` of a repo made of `files`: every job with includes and extends resolved,
 * after validating the result against GitLab's CI schema. `origin` makes the repo that GitLab project
 * (so `component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/<name>@$CI_COMMIT_SHA` is its own templates/).
 */
export function preview(files: Record<string, string>, o: { origin?: string } = {}): Record<string, unknown> {
  const dir = makeRepo(files);
  if (o.origin) spawnSync('git', ['remote', 'add', 'origin', o.origin], { cwd: dir });
  const r = spawnSync(process.execPath, [GITLAB_CI_LOCAL, '--preview', '--no-color'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gitlab-ci-local --preview failed:\n${r.stdout}${r.stderr}`);
  return parse(r.stdout.slice(r.stdout.indexOf('---'))) as Record<string, unknown>;
}

/** The jobs of a pipeline (no hidden jobs, no stages). */
export function jobsOf(pipeline: Record<string, unknown>): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(pipeline).filter(([k]) => !k.startsWith('.') && k !== 'stages')) as Record<
    string,
    Record<string, unknown>
  >;
}
