/**
 * Records a release's toolbox: `npm run release:pin -- <toolbox address@sha256:…> <module ref>` writes the
 * image the publish-toolbox job printed into ci/tools.json `published.toolbox` (the Dagger module's
 * default toolbox) and, in the CI/CD components, the defaults of `image` (the CLI variants: that toolbox)
 * and `module` (the Dagger variants: the module of this version, e.g.
 * gitlab.example.com/platform/gitops-flow@v0.2.0), so the module and the components of that version use
 * exactly it. `--root <dir>` works on another checkout (the tests).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PINNED_IMAGE } from '../dagger/src/manifest.js';

/** The `default:` of one input of a component, replaced (the other lines of the file stay as they are). */
function setInputDefault(text: string, input: string, value: string): string {
  const re = new RegExp(`(\\n    ${input}:\\n(?:      .*\\n)*?      default: ).*\\n`);
  if (!re.test(text)) throw new Error(`no default for input ${input}`);
  return text.replace(re, (_, head: string) => `${head}${value}\n`);
}

export function pin(root: string, toolbox: string, module: string): void {
  if (!PINNED_IMAGE.test(toolbox)) throw new Error(`${toolbox}: give the address with its digest (name:tag@sha256:…)`);
  if (!/^[\w.-]+(:\d+)?\/[\w./-]+@[\w.-]+$/.test(module))
    throw new Error(`${module}: give the module as <host>/<path>@<version>`);
  const tools = join(root, 'ci/tools.json');
  const m = JSON.parse(readFileSync(tools, 'utf8')) as { published: { toolbox: string | null } };
  m.published.toolbox = toolbox;
  writeFileSync(tools, `${JSON.stringify(m, null, 2)}\n`);
  for (const f of readdirSync(join(root, 'templates'))) {
    const file = join(root, 'templates', f);
    const text = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      f.startsWith('dagger-') ? setInputDefault(text, 'module', module) : setInputDefault(text, 'image', toolbox),
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--root');
  const root = at >= 0 ? (args.splice(at, 2)[1] as string) : fileURLToPath(new URL('..', import.meta.url));
  const [toolbox, module] = args;
  if (!toolbox || !module) {
    process.stderr.write(
      'usage: npm run release:pin -- <toolbox address@sha256:…> <module host/path@version> [--root <dir>]\n',
    );
    process.exit(2);
  }
  pin(root, toolbox, module);
}
