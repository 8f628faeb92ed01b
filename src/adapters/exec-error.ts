/**
 * The error the exec wrapper (exec.ts) throws when a program exits non-zero: its argv, exit code and
 * output. A file of its own so that the layers above can recognize it without importing the wrapper,
 * which only adapters (and the run: step runner) may call (test/unit/layers.test.ts).
 */
export class ExecError extends Error {
  constructor(
    readonly argv: string[],
    readonly exitCode: number,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(`${argv[0]} exited with ${exitCode}: ${lastLine(stderr) || lastLine(stdout) || '(no output)'}`);
    this.name = 'ExecError';
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1) ?? '';
}
