/** The suggest branch name and GitLab's merge request push options. */
import { createHash } from 'node:crypto';
import type { ResolvedConfig } from './config.js';
import type { KustomizeImage } from './kustomization.js';

/** A deterministic branch for (env, images): same suggestion, same branch. */
export function suggestBranch(prefix: string, env: string, images: KustomizeImage[]): string {
  const key = [...images]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((i) => `${i.name}=${i.newName ?? ''}:${i.newTag ?? ''}@${i.digest ?? ''}`)
    .join(',');
  const readable = images
    .map((i) => `${i.name}-${i.newTag ?? i.digest?.slice(7, 19) ?? 'name'}`)
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return `${prefix}${env}/${readable}-${hash}`;
}

/** `git push -o` options that make GitLab open a merge request set to merge when its pipeline passes. */
export function pushOptions(config: ResolvedConfig, target: string, title: string): string[] {
  const clean = (v: string) => v.replace(/[\r\n]+/g, ' ').trim();
  const options = [
    'merge_request.create',
    `merge_request.target=${clean(target)}`,
    `merge_request.title=${clean(title).slice(0, 255)}`,
  ];
  for (const label of config.labels) options.push(`merge_request.label=${clean(label)}`);
  if (config.removeSourceBranch) options.push('merge_request.remove_source_branch');
  if (config.autoMerge !== 'off') options.push(`merge_request.${config.autoMerge}`);
  return options;
}
