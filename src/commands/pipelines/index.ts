/**
 * `pipelines list` and `pipelines show <name> [--env <e>]`: the pipelines of gitops-flow.yaml and the
 * built-in verbs (their default pipelines, with the hooks of gitops-flow.yaml in place), as YAML.
 */
import { stringify } from 'yaml';
import { repoDir } from '../../adapters/repo.js';
import { own } from '../../core/bounds.js';
import { CONFIG_FILE } from '../../core/config.js';
import type { Config } from '../../core/config-schema.js';
import { invalid, quote } from '../../core/errors.js';
import type { CommandContext } from '../../core/io.js';
import type { PipelineDef, StepDef } from '../../core/pipeline-schema.js';
import {
  ANCHOR_ALIASES,
  DEFAULT_PIPELINES,
  HOOK_VERBS,
  type HookVerb,
  VERBS,
  type Verb,
} from '../../core/verb-pipelines.js';
import { readConfigFile } from '../../steps/config.js';
import { describeSteps } from '../../steps/registry.js';

interface Listed {
  name: string;
  kind: 'verb' | 'pipeline';
  description: string | null;
}

async function readConfig(root: string): Promise<Config> {
  return (await readConfigFile(root)) ?? {};
}

export async function listPipelines(
  o: { repoDir?: string },
  ctx: CommandContext,
): Promise<{ pipelines: Listed[]; steps: ReturnType<typeof describeSteps> }> {
  const config = await readConfig(repoDir(ctx, o.repoDir));
  const pipelines: Listed[] = [
    ...Object.entries(config.pipelines ?? {}).map(([name, p]) => ({
      name,
      kind: 'pipeline' as const,
      description: p.description ?? null,
    })),
    ...VERBS.map((name) => ({ name, kind: 'verb' as const, description: DEFAULT_PIPELINES[name].description ?? null })),
  ];
  const steps = describeSteps();
  if (ctx.opts.json) {
    ctx.log.result(JSON.stringify({ pipelines, steps }, null, 2));
  } else {
    const width = Math.max(...pipelines.map((p) => p.name.length), ...steps.map((s) => s.name.length));
    const out = ['Pipelines (gitops-flow run <name>) and verbs (gitops-flow <verb>):'];
    for (const p of pipelines)
      out.push(`  ${p.name.padEnd(width)}  ${p.kind === 'verb' ? '(verb) ' : ''}${p.description ?? ''}`.trimEnd());
    out.push(
      '',
      'Built-in steps (* usable with uses: in a pipeline; the others are steps of a verb that hooks attach to):',
    );
    for (const s of steps) out.push(`  ${s.standalone ? '*' : ' '} ${s.name.padEnd(width)}  ${s.summary}`);
    ctx.io.stdout.write(`${out.join('\n')}\n`);
  }
  return { pipelines, steps };
}

/** A verb's default pipeline with the hooks of gitops-flow.yaml (top level, then `env`'s) in place. */
function withHooks(verb: Verb, config: Config, env: string | undefined): PipelineDef {
  const def = DEFAULT_PIPELINES[verb];
  if (!(HOOK_VERBS as readonly string[]).includes(verb)) return def;
  const sources = [config.hooks, env ? own(config.environments, env)?.hooks : undefined];
  const hooks = (when: 'before' | 'after', anchor: string): StepDef[] =>
    sources.flatMap((h) => h?.[verb as HookVerb]?.[when]?.[anchor] ?? []);
  const steps = def.steps.flatMap((s) => {
    const anchors = [s.uses as string, ...Object.keys(ANCHOR_ALIASES).filter((a) => ANCHOR_ALIASES[a] === s.uses)];
    return [...anchors.flatMap((a) => hooks('before', a)), s, ...anchors.flatMap((a) => hooks('after', a))];
  });
  return { ...def, steps };
}

export async function showPipeline(
  o: { repoDir?: string; name: string; env?: string },
  ctx: CommandContext,
): Promise<PipelineDef> {
  const config = await readConfig(repoDir(ctx, o.repoDir));
  const custom = own(config.pipelines, o.name);
  const verb = (VERBS as readonly string[]).includes(o.name) ? (o.name as Verb) : undefined;
  if (!custom && !verb) {
    throw invalid(
      'PIPELINE_UNKNOWN',
      `No pipeline or verb ${quote(o.name)}.`,
      `Use one of: ${[...Object.keys(config.pipelines ?? {}), ...VERBS].join(', ')} (gitops-flow pipelines list).`,
      o.name,
    );
  }
  const def = custom ?? withHooks(verb as Verb, config, o.env);
  if (ctx.opts.json) ctx.log.result(JSON.stringify({ name: o.name, ...def }, null, 2));
  else
    ctx.io.stdout.write(
      `# ${verb ? `the ${verb} verb's pipeline${o.env ? ` in ${o.env}` : ''}` : `pipelines.${o.name} of ${CONFIG_FILE}`}\n${stringify({ [o.name]: def }, { lineWidth: 0 })}`,
    );
  return def;
}
