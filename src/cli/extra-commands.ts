/**
 * init, doctor and completion (and the hidden `__complete-envs`), registered on the program by main.
 * Kept apart from main.ts so these commands can grow without touching the release commands.
 */
import type { Command } from 'commander';
import type { CommandContext } from '../commands/context.js';
import { init } from '../commands/init/index.js';

export function registerExtraCommands(program: Command, context: () => CommandContext, repo: () => string | undefined): void {
  program
    .command('init')
    .description('scaffold an env repo: base Deployment + HPA, an overlay per env, gitops-flow.yaml, .gitlab-ci.yml')
    .option('--envs <list>', 'environments in promotion order, comma-separated', 'dev,uat,prod')
    .option('--app <name>', 'application name: Deployment, HPA and namespaces <app>-<env>', 'my-app')
    .option('--image <ref>', 'image every overlay starts with (default registry.example.com/team/<app>:0.1.0)')
    .option('--force', 'overwrite files that already exist')
    .action(async (o) => {
      const r = await init({ repoDir: repo(), envs: o.envs, app: o.app, image: o.image, force: Boolean(o.force) }, context());
      if (context().opts.json) context().log.result(JSON.stringify(r, null, 2));
    });
}
