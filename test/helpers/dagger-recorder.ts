/**
 * A Dagger engine's GraphQL session, recorded instead of executed: the real TypeScript SDK (the same
 * entrypoint the engine's TypeScript runtime runs) connects to it through DAGGER_SESSION_PORT and
 * DAGGER_SESSION_TOKEN, registers the module or invokes one function, and every query it sends is kept.
 * Each object the SDK builds is a chain of API calls (`container.from(…).withExec(…)`); the IDs it is
 * handed stand for those chains, so a function's result reads back as its whole recipe: images, files,
 * execs, secrets, with the objects passed as arguments expanded in place. Nothing runs: leaves that an
 * engine would compute (stdout, contents) get a fixed answer, or the real file for a host directory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type FieldNode, Kind, parse, type SelectionSetNode, valueFromASTUntyped } from 'graphql';
import { REPO_ROOT } from './git-fixtures.js';

/** One API call of a chain; an argument that was an ID is the chain it stands for. */
export interface Step {
  field: string;
  args: Record<string, unknown>;
}
export type Chain = Step[];

/** What one session did: every query, the chains it ran (a leaf asked for), and what it returned. */
export interface Recording {
  queries: string[];
  /** Chains an engine would have executed, with the leaf asked for (stdout, sync, contents, id…). */
  executed: { chain: Chain; leaf: string }[];
  /** The function's return value: for an object, its chain. */
  result?: unknown;
  error?: string;
  stderr: string;
}

/** A function call as the engine hands it to the module: the parent object's state and the arguments. */
export interface Invocation {
  parentName: string;
  /** '' for the constructor. */
  fnName: string;
  parent?: Record<string, unknown>;
  args: Record<string, unknown>;
}

const TOKEN = 'recorder-session-token';
const ENTRYPOINT = join(REPO_ROOT, 'test/helpers/dagger-entrypoint.ts');

/** IDs stand for chains; a new ID per chain handed out, so every reference resolves back to it. */
export class Ids {
  private readonly chains = new Map<string, Chain>();
  /** An ID for a chain (tests use it to make arguments: a host directory, a secret, a service). */
  id(chain: Chain): string {
    const id = `id-${this.chains.size + 1}`;
    this.chains.set(id, chain);
    return id;
  }
  chain(id: string): Chain | undefined {
    return this.chains.get(id);
  }
  /** Arguments with every known ID replaced by its chain (deeply, in lists too). */
  expand(value: unknown): unknown {
    if (typeof value === 'string') return this.chains.get(value) ?? value;
    if (Array.isArray(value)) return value.map((v) => this.expand(v));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.expand(v)]));
    return value;
  }
}

/** Argument makers: what `dagger call` would pass for `--repo ./dir`, `--git-token env://…`, `--cluster tcp://…`. */
export const hostDir = (path: string): Chain => [
  { field: 'host', args: {} },
  { field: 'directory', args: { path } },
];
export const hostFile = (path: string): Chain => [
  { field: 'host', args: {} },
  { field: 'file', args: { path } },
];
export const secret = (name: string): Chain => [{ field: 'secret', args: { uri: `env://${name}` } }];
/** A host service as `dagger call` makes one of tcp://<host>:<port>: host.service(ports, host). */
export const service = (address: string): Chain => {
  const { hostname, port } = new URL(address);
  const ports = [{ frontend: Number(port), backend: Number(port), protocol: 'TCP' }];
  return [
    { field: 'host', args: {} },
    { field: 'service', args: { ports, host: hostname } },
  ];
};
export const socket = (path: string): Chain => [
  { field: 'host', args: {} },
  { field: 'unixSocket', args: { path } },
];
export const address = (ref: string): Chain => [
  { field: 'address', args: { value: ref } },
  { field: 'container', args: {} },
];

/** The single field chain of a query (the SDK never asks for two fields at once). */
function fieldsOf(set: SelectionSetNode | undefined): FieldNode[] {
  const out: FieldNode[] = [];
  let s = set;
  while (s) {
    const sel = s.selections[0];
    if (!sel) break;
    if (sel.kind === Kind.INLINE_FRAGMENT) {
      s = sel.selectionSet;
      continue;
    }
    if (sel.kind !== Kind.FIELD) throw new Error(`recorder: unexpected ${sel.kind}`);
    out.push(sel);
    s = sel.selectionSet;
  }
  return out;
}

/** The ports a host service provides, as the engine answers `ports`: its forwards' frontends. */
function servicePorts(chain: Chain): number[] {
  const forwards = chain.find((s) => s.field === 'service')?.args.ports as
    | { frontend?: number; backend: number }[]
    | undefined;
  if (!forwards) throw new Error(`recorder: no ports for ${chain.map((s) => s.field).join('.')}`);
  return forwards.map((p) => p.frontend ?? p.backend);
}

/** The path of a host file a chain reads (`host.directory(d)[.directory(x)]*.file(f)`), if it is one. */
function hostPath(chain: Chain): string | undefined {
  if (chain[0]?.field !== 'host' || chain[1]?.field !== 'directory') return undefined;
  let path = chain[1].args.path as string;
  for (const step of chain.slice(2)) {
    if (step.field !== 'directory' && step.field !== 'file') return undefined;
    path = join(path, step.args.path as string);
  }
  return path;
}

/**
 * Runs the module's entrypoint (as the engine's TypeScript runtime does) against a recording session:
 * `call` undefined registers the module (what `dagger functions` does), else invokes that function.
 */
export async function record(ids: Ids, call?: Invocation, opts: { stdout?: string } = {}): Promise<Recording> {
  const rec: Recording = { queries: [], executed: [], stderr: '' };
  const argIds = Object.entries(call?.args ?? {}).map(([name, value]) => ({
    name,
    id: ids.id([{ field: 'arg', args: { name } }]),
    value,
  }));
  const answer = (chain: Chain, leaf: FieldNode): unknown => {
    const name = leaf.name.value;
    const owner = chain.slice(0, -1);
    const root = owner[0]?.field;
    // start (Service) answers the started object's ID, as sync does.
    if (name === 'id' || name === 'sync' || name === 'start') {
      rec.executed.push({ chain: owner, leaf: name });
      return ids.id(owner);
    }
    if (root === 'currentModule' && name === 'name') return 'gitops-flow';
    if (root === 'currentFunctionCall') {
      if (name === 'parentName') return call?.parentName ?? '';
      if (name === 'name') return call?.fnName ?? '';
      if (name === 'parent') return JSON.stringify(call?.parent ?? {});
      if (name === 'returnValue') {
        const value = JSON.parse(chain.at(-1)?.args.value as string) as unknown;
        rec.result = typeof value === 'string' ? (ids.chain(value) ?? value) : value;
        return null;
      }
      if (name === 'returnError') {
        const error = chain.at(-1)?.args.error as Chain;
        rec.error = String(error.find((s) => s.field === 'error')?.args.message);
        return null;
      }
    }
    const arg = argIds.find((a) => owner.length === 1 && root === 'arg' && owner[0]?.args.name === a.name);
    if (root === 'portOf' && name === 'port') return owner[0]?.args.port;
    if (arg && name === 'name') return arg.name;
    if (arg && name === 'value') return JSON.stringify(arg.value);
    if (name === 'defaultPlatform') return 'linux/amd64';
    rec.executed.push({ chain: owner, leaf: name });
    const path = hostPath(owner);
    if (name === 'contents' && path) return readFileSync(path, 'utf8');
    if (name === 'stdout' || name === 'stderr' || name === 'contents') return opts.stdout ?? '';
    throw new Error(`recorder: no answer for ${[...owner.map((s) => s.field), name].join('.')}`);
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const send = (payload: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.headers.authorization !== `Basic ${Buffer.from(`${TOKEN}:`).toString('base64')}`)
        return send({ errors: [{ message: 'recorder: bad session token' }] });
      try {
        const { query } = JSON.parse(body) as { query: string };
        rec.queries.push(query);
        const op = parse(query).definitions[0];
        if (op?.kind !== Kind.OPERATION_DEFINITION) throw new Error('recorder: not an operation');
        const fields = fieldsOf(op.selectionSet);
        const chain: Chain = [];
        for (const f of fields) {
          const args = Object.fromEntries((f.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
          if (f.name.value === 'node') chain.push(...(ids.chain(args.id as string) ?? [{ field: 'node', args }]));
          else chain.push({ field: f.name.value, args: ids.expand(args) as Record<string, unknown> });
        }
        // The lists the SDK asks for, each as [{ id }]: the call's arguments, and a service's ports.
        const list = fields.findIndex((f) => f.name.value === 'inputArgs' || f.name.value === 'ports');
        const wrap = list >= 0 ? fields.slice(0, list + 1) : fields;
        const listed = () =>
          fields[list]?.name.value === 'inputArgs'
            ? argIds.map((a) => ({ id: a.id }))
            : servicePorts(chain).map((port) => ({ id: ids.id([{ field: 'portOf', args: { port } }]) }));
        let data = list >= 0 ? listed() : answer(chain, fields.at(-1) as FieldNode);
        for (const f of [...wrap].reverse()) data = { [f.name.value]: data };
        send({ data });
      } catch (e) {
        send({ errors: [{ message: (e as Error).message }] });
      }
    });
  });
  // The SDK reuses one keep-alive connection, idle for seconds while the module scans its sources: the
  // default 5 s timeout would close it under the client (ECONNRESET) on a busy machine.
  server.keepAliveTimeout = 10 * 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    rec.stderr = await runEntrypoint(port);
    // A session that ended without returning is a crash of the module (or of the SDK): say so.
    if (!('result' in rec) && rec.error === undefined) rec.error = `the entrypoint returned nothing:\n${rec.stderr}`;
  } finally {
    server.closeAllConnections();
    server.close();
  }
  return rec;
}

/**
 * The SDK's generated client as a `client.gen.ts` source file. The runtime hands the module the engine's
 * generated TypeScript client; npm ships it compiled (`client.gen.d.ts`), and the SDK's scanner finds
 * core types (Directory, Secret…) only in a non-declaration file of that name: the same declarations,
 * with their imports made absolute, are that file.
 */
let clientGen: string | undefined;
function clientGenFile(): string {
  if (clientGen) return clientGen;
  const dts = join(REPO_ROOT, 'node_modules/@dagger.io/dagger/dist/src/api/client.gen.d.ts');
  const text = readFileSync(dts, 'utf8').replace(
    /from "(\.\.?\/[^"]+)"/g,
    (_, p: string) => `from "${join(dirname(dts), p)}"`,
  );
  clientGen = join(mkdtempSync(join(tmpdir(), 'gitops-flow-dagger-sdk-')), 'client.gen.ts');
  writeFileSync(clientGen, text);
  return clientGen;
}

/** The module's entrypoint under tsx with the module's own tsconfig, as the runtime container starts it. */
function runEntrypoint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tsx = join(REPO_ROOT, 'node_modules/.bin/tsx');
    const child = spawn(
      tsx,
      ['--no-deprecation', '--tsconfig', join(REPO_ROOT, 'dagger/tsconfig.json'), ENTRYPOINT, clientGenFile()],
      {
        cwd: join(REPO_ROOT, 'dagger'),
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          DAGGER_SESSION_PORT: String(port),
          DAGGER_SESSION_TOKEN: TOKEN,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}
