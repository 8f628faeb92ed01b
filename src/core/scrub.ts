/**
 * Secret scrubbing, in one place: every stream we write, every error message and every artifact goes
 * through `scrub`. Secrets are the values of the token variables we read, plus URL credentials.
 */

/** Environment variables whose values are secrets. */
export const SECRET_VARIABLES = [
  'GITOPS_FLOW_GIT_TOKEN',
  'GITOPS_FLOW_GITLAB_TOKEN',
  'GITOPS_FLOW_GITHUB_TOKEN',
  'GITLAB_TOKEN',
  'CI_JOB_TOKEN',
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'CI_REGISTRY_PASSWORD',
];

const MASK = '[MASKED]';

export class Scrubber {
  private readonly secrets: string[];

  constructor(env: NodeJS.ProcessEnv) {
    this.secrets = SECRET_VARIABLES.map((k) => env[k])
      .filter((v): v is string => typeof v === 'string' && v.length >= 4)
      .sort((a, b) => b.length - a.length);
  }

  /** Replaces every known secret and any `user:password@` in URLs with a mask. */
  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join(MASK);
    return out.replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+):[^/\s@]+@/gi, `$1:${MASK}@`);
  }
}
