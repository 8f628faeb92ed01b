#!/usr/bin/env node
// Tiny shim: the CLI decides the exit code; this file only sets it.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
