/**
 * The error catalogue. Every failure a user can see is a GitopsError with a code, a one-line message,
 * the value at fault (when there is one) and a remediation. Only the CLI maps `exitCode` to the process.
 */

/** 1: the operation failed (rollout failed, push rejected after retries); 2: invalid input or config. */
export type ExitCode = 1 | 2;

export interface ErrorDetails {
  code: string;
  message: string;
  remediation?: string;
  value?: string;
  exitCode?: ExitCode;
  /** Extra lines (e.g. every validation problem, pod events) shown under the message. */
  details?: string[];
  cause?: unknown;
  /** The command already wrote its --json result (e.g. status with an env that does not render). */
  resultPrinted?: boolean;
}

export class GitopsError extends Error {
  readonly code: string;
  readonly remediation: string | undefined;
  readonly value: string | undefined;
  readonly exitCode: ExitCode;
  readonly details: string[];
  readonly resultPrinted: boolean;

  constructor(d: ErrorDetails) {
    super(d.message, d.cause === undefined ? undefined : { cause: d.cause });
    this.name = 'GitopsError';
    this.code = d.code;
    this.remediation = d.remediation;
    this.value = d.value;
    this.exitCode = d.exitCode ?? 1;
    this.details = d.details ?? [];
    this.resultPrinted = d.resultPrinted ?? false;
  }
}

/** An invalid input or configuration: exit 2, nothing was changed. */
export function invalid(
  code: string,
  message: string,
  remediation: string,
  value?: string,
  details?: string[],
): GitopsError {
  return new GitopsError({ code, message, remediation, value, exitCode: 2, details });
}

/** An operation that was valid but failed: exit 1. */
export function failed(
  code: string,
  message: string,
  remediation: string,
  details?: string[],
  cause?: unknown,
): GitopsError {
  return new GitopsError({ code, message, remediation, exitCode: 1, details, cause });
}

/** Shows a user-supplied value safely on one line: control characters escaped, long values cut. */
export function quote(value: string): string {
  const json = JSON.stringify(value);
  return json.length > 200 ? `${json.slice(0, 197)}..."` : json;
}

/** The same error, its message naming the environment it is about (when it does not already). */
export function inEnv(e: GitopsError, env: string): GitopsError {
  if (e.message.includes(`(env ${env})`)) return e;
  const message = e.message.endsWith('.') ? `${e.message.slice(0, -1)} (env ${env}).` : `${e.message} (env ${env})`;
  return new GitopsError({
    code: e.code,
    message,
    remediation: e.remediation,
    value: e.value,
    exitCode: e.exitCode,
    details: e.details,
    cause: e,
  });
}
