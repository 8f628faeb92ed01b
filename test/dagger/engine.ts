/**
 * The engine `npm run test:dagger` runs on: the `dagger` CLI (DAGGER_BIN, else `dagger` on PATH) and the
 * engine it reaches (`_EXPERIMENTAL_DAGGER_RUNNER_HOST`, else the CLI's own: a container runtime on the
 * machine). Without one the tier fails, saying what is missing and where it can run: it never skips.
 * Run directly (`tsx test/dagger/engine.ts`), it is the first step of `npm run test:dagger`.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The oldest engine that loads the module: dagger.json's engineVersion (docs/ci-and-dagger.md#the-engine). */
export const MIN_ENGINE = 'v0.21.9';

const WHERE =
  'It runs where an engine runs: a laptop with Docker (install the dagger CLI, ' +
  `${MIN_ENGINE} or later) or the project's test-dagger job (Docker-in-Docker); see ` +
  'docs/ci-and-dagger.md#testing-on-a-real-engine. The machines this project is developed on cannot have ' +
  'one (docs/ci-and-dagger.md#the-engine).';

const executable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The dagger CLI to run, or why there is none. */
export function findDagger(env: NodeJS.ProcessEnv = process.env): { dagger: string } | { missing: string } {
  if (env.DAGGER_BIN) {
    if (executable(env.DAGGER_BIN)) return { dagger: env.DAGGER_BIN };
    return { missing: `DAGGER_BIN is ${env.DAGGER_BIN}, which is not an executable file.` };
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (executable(join(dir, 'dagger'))) return { dagger: join(dir, 'dagger') };
  }
  const runner = env._EXPERIMENTAL_DAGGER_RUNNER_HOST;
  return {
    missing: runner
      ? `_EXPERIMENTAL_DAGGER_RUNNER_HOST names an engine (${runner}), but no dagger CLI is on PATH (nor DAGGER_BIN) to call it.`
      : 'no dagger CLI on PATH (nor DAGGER_BIN), and _EXPERIMENTAL_DAGGER_RUNNER_HOST is unset: there is no Dagger engine to run on.',
  };
}

/** `v0.21.10` ≥ `v0.21.9`: versions compared by their numbers. */
export function atLeast(version: string, floor: string): boolean {
  const nums = (v: string) => (v.match(/\d+/g) ?? []).slice(0, 3).map(Number);
  const [a, b] = [nums(version), nums(floor)];
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/**
 * The engine, checked: the CLI is there and the engine answers at a version that loads the module.
 * Throws the reason (what is missing, and where the tier can run) otherwise.
 */
export function requireEngine(env: NodeJS.ProcessEnv = process.env): { dagger: string; version: string } {
  const found = findDagger(env);
  if ('missing' in found) throw new Error(`npm run test:dagger needs a Dagger engine: ${found.missing}\n${WHERE}`);
  let version: string;
  try {
    // `version` is a field of the engine's core API: answered by the engine, not the CLI.
    version = execFileSync(found.dagger, ['core', 'version'], { env, encoding: 'utf8', timeout: 300_000 }).trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(
      `npm run test:dagger: the dagger CLI (${found.dagger}) could not reach an engine:\n${(err.stderr ?? err.message).trim()}\n${WHERE}`,
    );
  }
  if (!atLeast(version, MIN_ENGINE))
    throw new Error(`npm run test:dagger: the engine is ${version}; the module needs ${MIN_ENGINE} or later.`);
  return { dagger: found.dagger, version };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const { dagger, version } = requireEngine();
    process.stderr.write(`test:dagger: engine ${version} through ${dagger}\n`);
  } catch (e) {
    process.stderr.write(`error[NO_DAGGER_ENGINE]: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
