/** Writes schema/gitops-flow.schema.json from the zod schema (the source of truth). */
import { writeFileSync } from 'node:fs';
import { jsonSchema } from '../src/core/config-schema.js';

writeFileSync(
  new URL('../schema/gitops-flow.schema.json', import.meta.url),
  `${JSON.stringify(jsonSchema(), null, 2)}\n`,
);
