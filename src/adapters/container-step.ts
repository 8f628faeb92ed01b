/**
 * A `run:` step with `image:`, run in that container through the Dagger engine session this process is
 * part of: inside the Dagger module (its toolbox exec is nested in the engine's session), or natively under
 * `dagger run gitops-flow …`. The engine names the session by DAGGER_SESSION_PORT and
 * DAGGER_SESSION_TOKEN; this speaks its GraphQL API on that loopback port. Every value (image, argv,
 * variables, secrets) travels as a GraphQL variable, never in the query's text; secrets become engine
 * secrets (`setSecret`), reaching the container only as secret variables. The env repo is copied in at
 * /repo (the step's working directory); outputs are read back from the file GITOPS_FLOW_OUTPUT names.
 */

export const CONTAINER_REPO = '/repo';
export const CONTAINER_OUTPUT = '/run/gitops-flow/output';

export interface EngineSession {
  port: number;
  token: string;
}

/** The engine session in `env`, if this process runs inside one. */
export function engineSession(env: NodeJS.ProcessEnv): EngineSession | undefined {
  const port = Number(env.DAGGER_SESSION_PORT);
  const token = env.DAGGER_SESSION_TOKEN;
  if (!Number.isInteger(port) || port <= 0 || port > 65535 || !token) return undefined;
  return { port, token };
}

export interface ContainerStep {
  image: string;
  /** argv inside the container, relative to /repo for a script of the repo. */
  argv: string[];
  /** Plain variables (facts, the step's env:). */
  env: Record<string, string>;
  /** The declared secrets and their values. */
  secrets: Record<string, string>;
  /** The env repo on this side of the session (copied into the container). */
  root: string;
  timeoutMs?: number;
}

export interface ContainerResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** What the step wrote to GITOPS_FLOW_OUTPUT. */
  output: string;
}

type Variables = Record<string, unknown>;

async function query<T>(s: EngineSession, text: string, variables: Variables, timeoutMs?: number): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${s.port}/query`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${s.token}:`).toString('base64')}`,
    },
    body: JSON.stringify({ query: text, variables }),
    ...(timeoutMs && { signal: AbortSignal.timeout(timeoutMs) }),
  });
  const body = (await res.json().catch(() => ({}))) as { data?: T; errors?: { message: string }[] };
  if (!res.ok || body.errors?.length || !body.data)
    throw new Error(`the Dagger engine answered: ${body.errors?.map((e) => e.message).join('; ') || res.status}`);
  return body.data;
}

/**
 * The one query that runs the step: `from` the image, the repo at /repo, the variables and secrets, an
 * empty output file, then the exec (any exit code) and what it left. Only variable names in the text.
 */
export function containerQuery(envCount: number, secretCount: number): string {
  const vars = [
    '$image: String!',
    '$dir: DirectoryID!',
    '$args: [String!]!',
    '$repo: String!',
    '$out: String!',
    ...Array.from({ length: envCount }, (_, i) => `$en${i}: String!, $ev${i}: String!`),
    ...Array.from({ length: secretCount }, (_, i) => `$sn${i}: String!, $sv${i}: SecretID!`),
  ];
  const chain = [
    'from(address: $image)',
    'withDirectory(path: $repo, directory: $dir)',
    'withWorkdir(path: $repo)',
    ...Array.from({ length: envCount }, (_, i) => `withEnvVariable(name: $en${i}, value: $ev${i})`),
    ...Array.from({ length: secretCount }, (_, i) => `withSecretVariable(name: $sn${i}, secret: $sv${i})`),
    'withNewFile(path: $out, contents: "")',
    'withExec(args: $args, expect: ANY)',
  ];
  const leaf = '{ exitCode stdout stderr file(path: $out) { contents } }';
  return `query Step(${vars.join(', ')}) { container { ${chain.join(' { ')} ${leaf}${' }'.repeat(chain.length)} }`;
}

/** Runs the step in its image through the session; resolves with its exit code, output and outputs. */
export async function runInContainer(s: EngineSession, step: ContainerStep): Promise<ContainerResult> {
  const secrets = Object.entries(step.secrets);
  const setup = await query<Record<string, { id: string }> & { host: { directory: { id: string } } }>(
    s,
    `query Inputs($root: String!${secrets.map((_, i) => `, $n${i}: String!, $p${i}: String!`).join('')}) { host { directory(path: $root) { id } }${secrets.map((_, i) => ` s${i}: setSecret(name: $n${i}, plaintext: $p${i}) { id }`).join('')} }`,
    {
      root: step.root,
      ...Object.fromEntries(
        secrets.flatMap(([name, value], i) => [
          [`n${i}`, `gitops-flow-${name}`],
          [`p${i}`, value],
        ]),
      ),
    },
  );
  const env = Object.entries({ ...step.env, GITOPS_FLOW_OUTPUT: CONTAINER_OUTPUT });
  const variables: Variables = {
    image: step.image,
    dir: setup.host.directory.id,
    args: step.argv,
    repo: CONTAINER_REPO,
    out: CONTAINER_OUTPUT,
    ...Object.fromEntries(
      env.flatMap(([k, v], i) => [
        [`en${i}`, k],
        [`ev${i}`, v],
      ]),
    ),
    ...Object.fromEntries(
      secrets.flatMap(([name], i) => [
        [`sn${i}`, name],
        [`sv${i}`, setup[`s${i}`]?.id],
      ]),
    ),
  };
  type Exec = { exitCode: number; stdout: string; stderr: string; file: { contents: string } };
  const data = await query<{ container: unknown }>(
    s,
    containerQuery(env.length, secrets.length),
    variables,
    step.timeoutMs,
  );
  // The answer nests one level per chained field; the exec's fields are at the bottom.
  let node = data.container as Record<string, unknown>;
  while (!('exitCode' in node)) node = Object.values(node)[0] as Record<string, unknown>;
  const r = node as unknown as Exec;
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, output: r.file.contents };
}
