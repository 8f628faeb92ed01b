/**
 * `dagger call` against the recording session (dagger-recorder.ts): register the module, construct its
 * object with shared arguments, call a function on it, and read back the registered functions and the
 * recipe of a call.
 */
import { expect } from 'vitest';
import { type Chain, Ids, type Recording, record } from './dagger-recorder.js';

export const ids = new Ids();

/** The module as `dagger functions` registers it (the typedefs the SDK sends). */
export async function register(): Promise<Chain> {
  const reg = await record(ids);
  expect(reg.error, reg.stderr).toBeUndefined();
  return reg.result as Chain;
}

/** The object's state after its constructor ran with `args` (IDs for objects): what the next call gets. */
export async function construct(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const rec = await record(ids, { parentName: 'GitopsFlow', fnName: '', args });
  expect(rec.error, rec.stderr).toBeUndefined();
  return rec.result as Record<string, unknown>;
}

/** A function called on a constructed object; `failing` when the call is expected to return an error. */
export async function call(
  parent: Record<string, unknown>,
  fnName: string,
  args: Record<string, unknown>,
  o: { failing?: boolean } = {},
): Promise<Recording> {
  const rec = await record(ids, { parentName: 'GitopsFlow', fnName, parent, args });
  if (!o.failing) expect(rec.error, rec.stderr).toBeUndefined();
  return rec;
}

/** What the engine would run for a call: the returned object's chain, or the chain whose output was read. */
export function recipe(rec: Recording): Chain {
  if (Array.isArray(rec.result)) return rec.result as Chain;
  const read = rec.executed.filter((e) => e.leaf === 'stdout');
  expect(read).toHaveLength(1);
  return (read[0] as { chain: Chain }).chain;
}

/** The module's object, as registered: `typeDef.withObject(…).withFunction(…)…` (its constructor names it again). */
function objectTypeDef(registration: Chain): Chain {
  return registration.find((s) => s.field === 'withObject')?.args.object as Chain;
}

/** The registered functions: name, cache policy, description, arguments (name → withArg args). */
export function functions(registration: Chain): {
  name: string;
  cache?: string;
  description?: string;
  args: Record<string, Record<string, unknown>>;
}[] {
  return objectTypeDef(registration)
    .filter((s) => s.field === 'withFunction')
    .map((f) => {
      const chain = f.args.function as Chain;
      const policy = chain.find((s) => s.field === 'withCachePolicy')?.args.policy as string | undefined;
      return {
        name: chain[0]?.args.name as string,
        ...(policy && { cache: policy }),
        description: chain.find((s) => s.field === 'withDescription')?.args.description as string | undefined,
        args: Object.fromEntries(chain.filter((s) => s.field === 'withArg').map((s) => [s.args.name, s.args])),
      };
    });
}

/** The constructor's arguments as registered (name → withArg args). */
export function constructorArgs(registration: Chain): Record<string, Record<string, unknown>> {
  const ctor = objectTypeDef(registration).find((s) => s.field === 'withConstructor')?.args.function as Chain;
  return Object.fromEntries(ctor.filter((s) => s.field === 'withArg').map((s) => [s.args.name, s.args]));
}
