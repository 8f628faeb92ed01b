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
    CREDENTIAL_NAME.test(name) ||
    CREDENTIAL_VALUES.some((re) => re.test(value))
  );
}

/** Names that say they hold a credential (MYSQL_PWD, SMTP_PASS, NPM_AUTH, SSH_KEY, SENTRY_DSN…). */
const CREDENTIAL_NAME =
  /TOKEN|PASSWORD|PASSWD|SECRET|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY|JWT|^GIT_CONFIG_|_PWD$|(^|_)PASS$|(^|_)AUTH(_|$)|WEBHOOK|(^|_)KEY$|(^|_)DSN$|COOKIE|SESSION/i;

/** Values that are credentials whatever the variable is called. */
const CREDENTIAL_VALUES = [
  // A URL with user info (https://user:pass@…, https://token@…).
  /[a-z][a-z0-9+.-]*:\/\/[^/\s@]+@/i,
  // Webhook URLs: the URL is the secret (Slack, Discord, Teams/Office 365, Google Chat).
  /hooks\.slack\.com\/|discord(app)?\.com\/api\/webhooks\/|\.webhook\.office\.com\/|chat\.googleapis\.com\/v1\/spaces\/[^?]*\?key=/i,
  // A URL carrying a token in its query.
  /[?&](access_token|token|api[_-]?key|key|sig|signature|secret|password)=[^&\s]{8,}/i,
  // Private keys.
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/,
  // Well-known token shapes: GitLab, GitHub, Slack, AWS access key ids, Stripe, npm, JWTs.
  /\b(glpat-|gldt-|glptt-|ghp_|gho_|ghs_|ghu_|github_pat_|xox[abposr]-|sk_live_|npm_)[A-Za-z0-9_-]{8,}/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./,
];

export class Scrubber {
  private readonly secrets: string[];

  /** `extra`: more variables whose values are secrets (those a pipeline step declares). */
  constructor(env: NodeJS.ProcessEnv, extra: string[] = []) {
    const values = [...SECRET_VARIABLES, ...extra]
      .map((k) => env[k])
      .filter((v): v is string => typeof v === 'string' && v.length >= 4);
    this.secrets = [...new Set(values.flatMap(encodings))].sort((a, b) => b.length - a.length);
  }

  /**
   * Replaces every known secret — as it is and in the encodings it may travel in (JSON-escaped,
   * URL-encoded, base64 as HTTP basic auth sends it) — and any `user:password@` in URLs with a mask.
   */
  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join(MASK);
    // Both patterns below need a scheme's "://": without one, skip scanning (history's --json is MBs).
    if (!out.includes('://')) return out;
    // user:password@ keeps the user; a lone token@ (https://ghp_…@github.com) is masked whole.
    return out
      .replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+):[^/\s@]+@/gi, `$1:${MASK}@`)
      .replace(/([a-z][a-z0-9+.-]*:\/\/)(?!git@)[^/\s:@]{20,}@/gi, `$1${MASK}@`);
  }

  /** Scrubs every string inside a value (before it is encoded, e.g. as JSON); keys too. */
  scrubValue<T>(value: T): T {
    if (typeof value === 'string') return this.scrub(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.scrubValue(v)) as T;
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.scrub(k), this.scrubValue(v)])) as T;
    return value;
  }
}

/** Shortest encoded fragment worth masking: shorter ones would mask ordinary text. */
const MIN_FRAGMENT = 8;

/**
 * The forms a secret takes on the way out: itself; JSON-escaped (once, and twice for JSON inside
 * JSON), so a token with a newline or a quote is masked in `--json` and in quoted values; URL-encoded;
 * each line of a multi-line secret (output split into lines); and base64 at each of the three byte
 * alignments, so `base64("oauth2:" + token)` (git's basic auth) or any `user:token` is masked whatever
 * the user name's length (the few characters that straddle the prefix stay, revealing at most two bytes).
 */
function encodings(secret: string): string[] {
  const json = (t: string) => JSON.stringify(t).slice(1, -1);
  const out = [secret, json(secret), json(json(secret)), encodeURIComponent(secret)];
  out.push(encodeURIComponent(secret).replace(/%20/g, '+'));
  if (/[\r\n]/.test(secret)) out.push(...secret.split(/[\r\n]+/).filter((l) => l.length >= MIN_FRAGMENT));
  const bytes = Buffer.from(secret, 'utf8');
  out.push(bytes.toString('base64'), bytes.toString('base64url'));
  for (let pad = 0; pad < 3; pad++) {
    const buf = Buffer.concat([Buffer.alloc(pad), bytes]);
    // Whole 3-byte groups of the secret only: the first group holds pad bytes when pad > 0.
    const end = Math.floor(buf.length / 3) * 4;
    for (const b64 of [buf.toString('base64'), buf.toString('base64url')]) {
      const core = b64.slice(pad > 0 ? 4 : 0, end);
      if (core.length >= MIN_FRAGMENT) out.push(core);
    }
  }
  return out.filter((e) => e.length >= 4);
}
