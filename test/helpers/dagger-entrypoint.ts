/**
 * What the Dagger TypeScript runtime generates as the module's entrypoint: every .ts file of the
 * module's source handed to the SDK's `entrypoint`, which asks the session what to do (register the
 * module, or invoke one function). Run by test/helpers/dagger-recorder.ts against a recording session.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { entrypoint } from '@dagger.io/dagger';

const SRC = join(import.meta.dirname, '../../dagger/src');
const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(SRC, f));
// The generated client (see clientGenFile in dagger-recorder.ts), as the runtime's program includes it.
await entrypoint([...files, ...process.argv.slice(2)]);
