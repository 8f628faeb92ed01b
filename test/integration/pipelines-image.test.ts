/**
 * run: steps with image: (a containerized step). Without a Dagger engine session the run is refused
 * before any step runs (exit 2). With one — here a stub of the engine's GraphQL endpoint on loopback, since
 * no engine can exist on this machine (the real one: npm run test:dagger) — the step goes to the engine as
 * one query whose text holds no value (image, argv, variables and secrets are GraphQL variables), only its
 * declared secrets go in, as engine secrets, and its exit code and outputs come back.
 */
import { chmodSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { containerQuery } from '../../src/adapters/container-step.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { cloneRemote, exampleFiles, makeRemote } from '../helpers/git-fixtures.js';

const IMAGE = `alpine:3.20@sha256:${'a'.repeat(64)}`;
const SESSION_TOKEN = 'engine-session-token-5f1e';
const SMOKE = 'smoke-secret-value-9c2d';

function repoWith(yaml: string): string {
  const remote = makeRemote({
    ...exampleFiles(),
    'gitops-flow.yaml': yaml,
    'scripts/before.sh': '#!/bin/sh\ntouch ran-before\n',
  });
  const dir = cloneRemote(remote);
  chmodSync(join(dir, 'scripts/before.sh'), 0o755);
  return dir;
}

const PIPELINE = `
pipelines:
  smoke:
    steps:
      - run: scripts/before.sh
      - id: check
        name: smoke in a container
        image: ${IMAGE}
        run: [sh, -c, 'echo checked; echo result=ok >> "$GITOPS_FLOW_OUTPUT"']
        env: { TARGET: uat }
        secrets: [SMOKE_TOKEN]
`;

interface Seen {
  auth: string | undefined;
  query: string;
  variables: Record<string, unknown>;
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A stub of the engine's session endpoint: records each query and answers as the engine would. */
async function engineStub(exec: {
  exitCode: number;
  stdout: string;
  output: string;
}): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const { query, variables } = JSON.parse(body) as { query: string; variables: Record<string, unknown> };
      seen.push({ auth: req.headers.authorization, query, variables });
      let data: unknown;
      if (query.startsWith('query Inputs')) {
        data = { host: { directory: { id: 'dir-id' } }, ...(variables.n0 ? { s0: { id: 'secret-id' } } : {}) };
      } else {
        // Nested one level per chained field, as the engine answers; the exec's fields at the bottom.
        const depth = (query.match(/\{/g) ?? []).length - 3;
        let node: unknown = { ...exec, stderr: '', file: { contents: exec.output } };
        for (let i = 0; i < depth; i++) node = { [`f${i}`]: node };
        data = { container: node };
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data }));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, seen };
}

describe('run: steps with image:', () => {
  it('without a Dagger engine session: refused before any step runs (exit 2), naming both ways to run it', async () => {
    const dir = repoWith(PIPELINE);
    const r = await runCli(['-C', dir, 'run', 'smoke'], { env: cleanEnv({ SMOKE_TOKEN: SMOKE }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `error[STEP_NEEDS_ENGINE]: Step "smoke in a container" runs in the container ${IMAGE} (image:), which needs a Dagger engine, and this run has none.`,
    );
    expect(r.stderr).toContain('dagger run gitops-flow');
    expect(existsSync(join(dir, 'ran-before'))).toBe(false);
  });

  it('an image not pinned by digest, or image: on a uses: step, is invalid config', async () => {
    const tag = await runCli(['-C', repoWith(PIPELINE.replace(IMAGE, 'alpine:3.20')), 'run', 'smoke']);
    expect(tag.code).toBe(2);
    expect(tag.stderr).toContain('an image pinned by digest');
    const uses = await runCli([
      '-C',
      repoWith(`pipelines:\n  p:\n    steps:\n      - uses: git/sync\n        image: ${IMAGE}\n`),
      'run',
      'p',
    ]);
    expect(uses.code).toBe(2);
    expect(uses.stderr).toContain('image: only run: steps take image:');
  });

  it('with a session (engine stub): one query without values in its text, declared secrets only, outputs back', async () => {
    const engine = await engineStub({ exitCode: 0, stdout: 'checked\n', output: 'result=ok\n' });
    const dir = repoWith(PIPELINE);
    const env = cleanEnv({
      SMOKE_TOKEN: SMOKE,
      OTHER_TOKEN: 'other-secret-3b7a',
      DAGGER_SESSION_PORT: String(engine.port),
      DAGGER_SESSION_TOKEN: SESSION_TOKEN,
    });
    const r = await runCli(['-C', dir, '--json', 'run', 'smoke'], { env });
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).steps[1]).toMatchObject({
      id: 'check',
      result: 'succeeded',
      outputs: { result: 'ok' },
    });
    expect(existsSync(join(dir, 'ran-before'))).toBe(true);
    expect(engine.seen).toHaveLength(2);
    for (const q of engine.seen) {
      expect(q.auth).toBe(`Basic ${Buffer.from(`${SESSION_TOKEN}:`).toString('base64')}`);
      // No value in the query's text: only field and variable names.
      for (const value of [IMAGE, SMOKE, 'echo checked', dir, 'uat']) expect(q.query).not.toContain(value);
    }
    const [inputs, step] = engine.seen as [Seen, Seen];
    expect(inputs.variables).toEqual({ root: dir, n0: 'gitops-flow-SMOKE_TOKEN', p0: SMOKE });
    const envCount = Object.keys(step.variables).filter((k) => /^en\d+$/.test(k)).length;
    expect(step.query).toBe(containerQuery(envCount, 1));
    expect(step.variables).toMatchObject({
      image: IMAGE,
      dir: 'dir-id',
      repo: '/repo',
      args: ['sh', '-c', 'echo checked; echo result=ok >> "$GITOPS_FLOW_OUTPUT"'],
      sn0: 'SMOKE_TOKEN',
      sv0: 'secret-id',
    });
    const vars = Object.fromEntries(
      Object.keys(step.variables)
        .filter((k) => /^en\d+$/.test(k))
        .map((k) => [step.variables[k], step.variables[`ev${k.slice(2)}`]]),
    );
    expect(vars).toMatchObject({
      TARGET: 'uat',
      GITOPS_FLOW_PIPELINE: 'smoke',
      GITOPS_FLOW_OUTPUT: '/run/gitops-flow/output',
    });
    // Undeclared credentials and the session's own token never go in.
    const sent = JSON.stringify(engine.seen.map((q) => q.variables));
    expect(sent).not.toContain('other-secret-3b7a');
    expect(sent).not.toContain(SESSION_TOKEN);
    expect(r.stderr).not.toContain(SMOKE);
  });

  it('with a session (engine stub): a non-zero exit fails the step with its output', async () => {
    const engine = await engineStub({ exitCode: 3, stdout: 'smoke failed\n', output: '' });
    const env = cleanEnv({ DAGGER_SESSION_PORT: String(engine.port), DAGGER_SESSION_TOKEN: SESSION_TOKEN });
    const r = await runCli(['-C', repoWith(PIPELINE), 'run', 'smoke'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[STEP_FAILED]: Step "smoke in a container" exited with 3.');
    expect(r.stderr).toContain('smoke failed');
  });
});
