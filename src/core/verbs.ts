/** The built-in verbs that are pipelines of steps, and which of them take hooks. */

export const VERBS = ['suggest', 'deploy', 'promote', 'rollback', 'restore', 'unpin'] as const;
export type Verb = (typeof VERBS)[number];
/** Verbs that take hooks: all but suggest, which runs in a fresh clone of a repo it has not read yet. */
export const HOOK_VERBS = ['deploy', 'promote', 'rollback', 'restore', 'unpin'] as const;
export type HookVerb = (typeof HOOK_VERBS)[number];

/** `uses: pipeline/<name>` runs another pipeline of gitops-flow.yaml, `with:` being its inputs. */
export const PIPELINE_PREFIX = 'pipeline/';
