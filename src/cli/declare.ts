/**
 * commander commands and options declared from the one description of the command line (./verbs.ts),
 * which the Dagger module reads too.
 */
import { Argument, type Command, InvalidArgumentError, Option } from 'commander';
import { type OptionSpec, VERBS, type Verb } from './verbs.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('it must be a positive integer.');
  return n;
}

/** A commander Option from its description: mandatory, choices, repeatable or numeric, default. */
export function toOption(o: OptionSpec): Option {
  const opt = new Option(o.flags, o.description);
  if (o.required) opt.makeOptionMandatory();
  if (o.choices) opt.choices(o.choices);
  if (o.kind === 'list') opt.argParser(collect);
  if (o.kind === 'int') opt.argParser(positiveInt);
  if (o.default !== undefined) opt.default(o.default);
  return opt;
}

/** Adds `verb` (named `name` under `parent`, e.g. `show` under `pipelines`) with its arguments and options. */
export function declareVerb(parent: Command, verb: Verb, name: string = verb): Command {
  const spec = VERBS[verb];
  const cmd = parent.command(name).description(spec.description);
  for (const a of 'arguments' in spec ? spec.arguments : []) {
    const arg = new Argument(`<${a.name}>`, a.description);
    if ('choices' in a) arg.choices(a.choices);
    cmd.addArgument(arg);
  }
  for (const o of spec.options as readonly OptionSpec[]) cmd.addOption(toOption(o));
  return cmd;
}
