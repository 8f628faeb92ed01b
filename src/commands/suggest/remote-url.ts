/** The env repo URL given to `suggest`: a transport we allow, and never a credential in it. */
import { invalid, quote } from '../../core/errors.js';

const ALLOWED = /^(https?:\/\/|ssh:\/\/|git:\/\/|file:\/\/|[\w.-]+@[\w.-]+:|\/)/;

/** Throws exit 2 for URLs that carry a password, start like an option, or use another transport. */
export function validateRemoteUrl(url: string): void {
  const bad = (why: string, fix: string) =>
    invalid(
      'ENV_REPO_URL_INVALID',
      `Invalid --env-repo ${quote(url.replace(/^(https?:\/\/)[^/@]*@/i, '$1[MASKED]@').replace(/:\/\/([^/@:]+):[^/@]*@/, '://$1:[MASKED]@'))}: ${why}.`,
      fix,
    );
  if (/[\s\0]/.test(url) || url.startsWith('-'))
    throw bad('it contains whitespace or starts with "-"', 'Pass the clone URL of the env repository.');
  // A password, or a lone token as the user name of an https URL (https://ghp_…@github.com/…).
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(url) || /^https?:\/\/[^/@]+@/i.test(url)) {
    throw bad(
      'it contains a password or token',
      'Remove the credentials from the URL and set GITOPS_FLOW_GIT_TOKEN instead.',
    );
  }
  if (!ALLOWED.test(url))
    throw bad(
      'only https, ssh, git, file URLs and absolute paths are allowed',
      'Use e.g. https://gitlab.example.com/group/env.git.',
    );
}
