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

/** Variables that carry a credential under a name that does not say so (GitLab's clone URL holds the job token). */
const CREDENTIAL_CARRIERS = ['CI_REPOSITORY_URL', 'DOCKER_AUTH_CONFIG'];

/**
 * Is this variable a credential? The known token variables, any name that says it holds one (tokens,
 * passwords, JWTs, git config that may set an auth header), the known carriers, and any value with
 * credentials in a URL: a `run:` step of a pipeline sees none of them unless it declares it under
 * `secrets:`. (Credentials in files, e.g. the kubeconfig KUBECONFIG names, stay readable.)
 */
export function isCredentialVariable(name: string, value = ''): boolean {
  return (
    SECRET_VARIABLES.includes(name) ||
    CREDENTIAL_CARRIERS.includes(name) ||
    /TOKEN|PASSWORD|PASSWD|SECRET|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY|JWT|^GIT_CONFIG_/i.test(name) ||
    /[a-z][a-z0-9+.-]*:\/\/[^/\s@]+@/i.test(value)
  );
}

export class Scrubber {
  private readonly secrets: string[];

  /** `extra`: more variables whose values are secrets (those a pipeline step declares). */
  constructor(env: NodeJS.ProcessEnv, extra: string[] = []) {
    this.secrets = [...SECRET_VARIABLES, ...extra]
      .map((k) => env[k])
      .filter((v): v is string => typeof v === 'string' && v.length >= 4)
      .sort((a, b) => b.length - a.length);
  }

  /** Replaces every known secret and any `user:password@` in URLs with a mask. */
  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join(MASK);
    // user:password@ keeps the user; a lone token@ (https://ghp_…@github.com) is masked whole.
    return out
      .replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+):[^/\s@]+@/gi, `$1:${MASK}@`)
      .replace(/([a-z][a-z0-9+.-]*:\/\/)(?!git@)[^/\s:@]{20,}@/gi, `$1${MASK}@`);
  }
}
