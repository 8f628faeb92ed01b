/**
 * Limits on what an env repo may make gitops-flow parse: its files are untrusted input, and a huge or
 * deeply nested one must be a clear exit-2 error, not minutes of parsing, a stack overflow or an
 * out-of-memory crash (20,000 nested `[` brought the YAML parser's error path down).
 */
import { invalid } from './errors.js';

/** gitops-flow.yaml and each kustomization file: far above any real one (the example's are < 2 KB). */
export const MAX_YAML_BYTES = 1024 * 1024;

/** Flow collections (`[`, `{`) nested deeper than this are refused before parsing. */
export const MAX_YAML_NESTING = 64;

/** The longest timer Node can arm (setTimeout overflows past 2^31-1 ms and fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Timeouts (a step's timeout:, verify.timeout, --timeout) are clamped to this: a day. */
export const MAX_TIMEOUT_MS = 24 * 3_600_000;

/** A timeout in ms, clamped to MAX_TIMEOUT_MS (never past what a timer can hold). */
export function clampTimeout(ms: number): number {
  return Math.min(ms, MAX_TIMEOUT_MS, MAX_TIMER_MS);
}

/** Throws exit 2 (`code`) when a YAML text is too large or nests flow collections too deeply. */
export function checkYamlBounds(text: string, file: string, code: string): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_YAML_BYTES) {
    throw invalid(
      code,
      `${file} is ${(bytes / 1024 / 1024).toFixed(1)} MB; gitops-flow reads at most ${MAX_YAML_BYTES / 1024 / 1024} MB.`,
      'Check that the file is the one intended (not generated or corrupted); split large resources into separate files.',
      file,
    );
  }
  const depth = flowDepth(text);
  if (depth > MAX_YAML_NESTING) {
    throw invalid(
      code,
      `${file} nests [ ] or { } ${depth > 10_000 ? 'over 10,000' : depth} levels deep; at most ${MAX_YAML_NESTING} are read.`,
      'Flatten the nested lists and maps.',
      file,
    );
  }
}

/**
 * The deepest nesting of `[`/`{` outside quotes and comments (a cheap scan; block scalars count too,
 * which only matters for absurd text).
 */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quoteChar = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoteChar) {
      if (ch === '\\' && quoteChar === '"') i++;
      else if (ch === quoteChar || ch === '\n') quoteChar = '';
      continue;
    }
    if (ch === '"' || ch === "'") quoteChar = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1] as string))) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (ch === '[' || ch === '{') max = Math.max(max, ++depth);
    else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
  return max;
}

/**
 * `record[key]` only when `key` is the record's own property: a name a user gives (a pipeline, an
 * environment, `uses: pipeline/<name>`) never reaches the prototype (`constructor`, `toString`, `__proto__`).
 */
export function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Paths of `__proto__` keys in parsed data (they would replace an object's prototype when copied). */
export function protoKeys(data: unknown, path: string[] = [], out: string[] = []): string[] {
  if (data === null || typeof data !== 'object' || path.length > MAX_YAML_NESTING) return out;
  for (const [k, v] of Object.entries(data)) {
    if (k === '__proto__') out.push([...path, k].join('.'));
    protoKeys(v, [...path, k], out);
  }
  return out;
}
