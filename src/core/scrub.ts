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

/**
 * Is this variable a credential? The known token variables, and any name that says it holds one: a
 * `run:` step of a pipeline sees none of them unless it declares it under `secrets:`.
 */
export function isCredentialVariable(name: string): boolean {
  return SECRET_VARIABLES.includes(name) || /TOKEN|PASSWORD|PASSWD|SECRET|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY/i.test(name);
}

export class Scrubber {
  private readonly secrets: string[];

  /** `extra`: more variables whose values are secrets (those a pipeline step declares). */
  constructor(env: NodeJS.ProcessEnv, extra: string[] = []) {
    this.secrets = [...SECRET_VARIABLES, ...extra].map((k) => env[k])
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
