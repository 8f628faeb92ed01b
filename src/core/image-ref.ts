/**
 * Docker image references, after the grammar of github.com/distribution/reference:
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component ( "/" path-component )*
 * We accept only sha256 digests (what registries and kustomize use in practice).
 */
import { invalid, quote } from './errors.js';

export interface ImageRef {
  /** Repository name including the registry host, e.g. `registry.example.com:5000/team/app`. */
  name: string;
  tag?: string;
  digest?: string;
}

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|${ipv6})`;
const domain = `${host}(?::[0-9]+)?`;

const pathRe = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const domainRe = new RegExp(`^${domain}$`);
const tagRe = /^[\w][\w.-]{0,127}$/;
const digestRe = /^sha256:[a-f0-9]{64}$/;
const NAME_MAX = 255;

const FORMS = 'a reference like registry.example.com:5000/team/app:1.4.2 or team/app@sha256:<64 hex>';

/** Is the first path element a registry host (as docker decides: has `.` or `:`, or is localhost)? */
function looksLikeDomain(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
}

/** Why `name` is not a valid repository name, or undefined when it is. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the repository name is empty';
  if (name.length > NAME_MAX) return `the repository name is longer than ${NAME_MAX} characters`;
  const slash = name.indexOf('/');
  let path = name;
  if (slash > 0 && looksLikeDomain(name.slice(0, slash))) {
    const dom = name.slice(0, slash);
    if (!domainRe.test(dom)) return `the registry host ${quote(dom)} is not a valid host[:port]`;
    path = name.slice(slash + 1);
  }
  if (path !== path.toLowerCase()) return 'repository names must be lowercase';
  if (!pathRe.test(path)) {
    return 'each path component must be lowercase letters and digits, joined by one ".", "_", "__" or dashes';
  }
  return undefined;
}

/** Splits `ref` into name, tag and digest without validating them. */
export function splitRef(ref: string): ImageRef {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { name: rest, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** Parses and validates an image reference; throws an exit-2 error naming the bad value. */
export function parseImageRef(ref: string, what = 'image reference'): ImageRef {
  const parsed = splitRef(ref);
  const problem = refProblem(parsed);
  if (problem) {
    throw invalid('IMAGE_REF_INVALID', `Invalid ${what} ${quote(ref)}: ${problem}.`, `Use ${FORMS}.`, ref);
  }
  return parsed;
}

function refProblem(r: ImageRef): string | undefined {
  const nameIssue = nameProblem(r.name);
  if (nameIssue) return nameIssue;
  if (r.tag !== undefined && !tagRe.test(r.tag)) {
    return 'a tag is 1 to 128 characters of letters, digits, "_", "." and "-", not starting with "." or "-"';
  }
  if (r.digest !== undefined && !digestRe.test(r.digest)) {
    return 'a digest is "sha256:" followed by 64 lowercase hex characters';
  }
  return undefined;
}

/** Validates a tag on its own. */
export function isValidTag(tag: string): boolean {
  return tagRe.test(tag);
}

/** Validates a digest on its own. */
export function isValidDigest(digest: string): boolean {
  return digestRe.test(digest);
}
