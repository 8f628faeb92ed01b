/**
 * `${{ … }}` expressions, the GitHub Actions way: literals, context paths (`inputs.x`, `env.X`,
 * `steps.<id>.outputs.<k>`, `environment.name`), `== != < > <= >= && || !`, parentheses and a few
 * functions. A tokenizer, a recursive-descent parser and a tree walker: never eval, Function or a shell.
 */

export type Value = string | number | boolean | null;

export type Expr =
  | { kind: 'literal'; value: Value }
  | { kind: 'path'; parts: string[] }
  | { kind: 'not'; operand: Expr }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr }
  | { kind: 'call'; name: FunctionName; args: Expr[] };

type BinaryOp = '==' | '!=' | '<' | '>' | '<=' | '>=' | '&&' | '||';

/** The contexts an expression may read. */
export const CONTEXTS = ['inputs', 'env', 'steps', 'environment', 'pipeline'] as const;

const FUNCTIONS = { success: 0, failure: 0, always: 0, cancelled: 0, contains: 2, startsWith: 2, endsWith: 2 } as const;
type FunctionName = keyof typeof FUNCTIONS;
export const STATUS_FUNCTIONS: FunctionName[] = ['success', 'failure', 'always', 'cancelled'];

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly source: string,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

interface Token {
  type: 'num' | 'str' | 'ident' | 'op' | 'punct';
  text: string;
  value?: Value;
  at: number;
}

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!'];

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "'") {
      // A string literal, quotes doubled to escape them ('it''s'), as in GitHub Actions.
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length) throw new ExpressionError(`unterminated string starting at ${i + 1}`, src);
        if (src[j] === "'") {
          if (src[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += src[j];
        j++;
      }
      tokens.push({ type: 'str', text: src.slice(i, j + 1), value, at: i });
      i = j + 1;
      continue;
    }
    const num = /^-?(\d+(\.\d+)?)/.exec(src.slice(i));
    if (num && (ch !== '-' || !prevIsValue(tokens))) {
      tokens.push({ type: 'num', text: num[0], value: Number(num[0]), at: i });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i));
    if (ident) {
      tokens.push({ type: 'ident', text: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op) {
      tokens.push({ type: 'op', text: op, at: i });
      i += op.length;
      continue;
    }
    if ('().,'.includes(ch)) {
      tokens.push({ type: 'punct', text: ch, at: i });
      i++;
      continue;
    }
    throw new ExpressionError(`unexpected character ${JSON.stringify(ch)} at ${i + 1}`, src);
  }
  return tokens;
}

function prevIsValue(tokens: Token[]): boolean {
  const t = tokens.at(-1);
  return t !== undefined && (t.type === 'num' || t.type === 'str' || t.type === 'ident' || t.text === ')');
}

/** Longest expression text, and deepest nesting of parentheses, `!` and calls: beyond, an error, not a stack overflow. */
export const MAX_EXPRESSION_LENGTH = 4096;
export const MAX_EXPRESSION_DEPTH = 32;

/** Parses one expression (the text inside `${{ }}`, or a bare `if:`); throws ExpressionError. */
export function parseExpression(src: string): Expr {
  if (src.length > MAX_EXPRESSION_LENGTH)
    throw new ExpressionError(
      `an expression is at most ${MAX_EXPRESSION_LENGTH} characters (got ${src.length})`,
      src.slice(0, 80),
    );
  const tokens = tokenize(src);
  let pos = 0;
  let depth = 0;
  const nested = <T>(f: () => T): T => {
    if (++depth > MAX_EXPRESSION_DEPTH)
      throw new ExpressionError(
        `parentheses, "!" and calls nest at most ${MAX_EXPRESSION_DEPTH} deep`,
        src.slice(0, 80),
      );
    try {
      return f();
    } finally {
      depth--;
    }
  };
  const peek = () => tokens[pos];
  const fail = (what: string): never => {
    const t = peek();
    throw new ExpressionError(
      t ? `${what}, got ${JSON.stringify(t.text)} at ${t.at + 1}` : `${what}, got the end of the expression`,
      src,
    );
  };
  const eat = (text: string) => {
    if (peek()?.text === text) {
      pos++;
      return true;
    }
    return false;
  };
  const binary = (ops: BinaryOp[], next: () => Expr) => (): Expr => {
    let left = next();
    for (;;) {
      const t = peek();
      if (t?.type !== 'op' || !ops.includes(t.text as BinaryOp)) return left;
      pos++;
      left = { kind: 'binary', op: t.text as BinaryOp, left, right: next() };
    }
  };
  const primary = (): Expr => {
    const t = peek();
    if (!t) return fail('expected a value');
    if (t.type === 'num' || t.type === 'str') {
      pos++;
      return { kind: 'literal', value: t.value as Value };
    }
    if (t.text === '(') {
      pos++;
      const e = nested(or);
      if (!eat(')')) fail('expected ")"');
      return e;
    }
    if (t.type !== 'ident') return fail('expected a value');
    pos++;
    if (t.text === 'true' || t.text === 'false') return { kind: 'literal', value: t.text === 'true' };
    if (t.text === 'null') return { kind: 'literal', value: null };
    if (eat('(')) {
      if (!(t.text in FUNCTIONS))
        throw new ExpressionError(
          `unknown function ${t.text}() (have: ${Object.keys(FUNCTIONS)
            .map((f) => `${f}()`)
            .join(', ')})`,
          src,
        );
      const args: Expr[] = [];
      if (!eat(')')) {
        do args.push(nested(or));
        while (eat(','));
        if (!eat(')')) fail('expected ")" or ","');
      }
      const want = FUNCTIONS[t.text as FunctionName];
      if (args.length !== want)
        throw new ExpressionError(`${t.text}() takes ${want} argument(s), got ${args.length}`, src);
      return { kind: 'call', name: t.text as FunctionName, args };
    }
    if (!(CONTEXTS as readonly string[]).includes(t.text))
      throw new ExpressionError(`unknown context ${JSON.stringify(t.text)} (have: ${CONTEXTS.join(', ')})`, src);
    const parts = [t.text];
    while (eat('.')) {
      const p = peek();
      if (p?.type !== 'ident') fail('expected a name after "."');
      parts.push((p as Token).text);
      pos++;
    }
    return { kind: 'path', parts };
  };
  const unary = (): Expr => (eat('!') ? { kind: 'not', operand: nested(unary) } : primary());
  const comparison = binary(['<', '>', '<=', '>='], unary);
  const equality = binary(['==', '!='], comparison);
  const and = binary(['&&'], equality);
  const or = binary(['||'], and);
  if (tokens.length === 0) throw new ExpressionError('empty expression', src);
  const e = or();
  if (pos < tokens.length) fail('expected an operator or the end');
  return e;
}

/** What an expression reads at run time. `status` is the pipeline's so far. */
export interface Scope {
  inputs: Record<string, Value>;
  env: Record<string, string | undefined>;
  steps: Record<string, { outputs: Record<string, string>; outcome: string }>;
  environment: Record<string, string | undefined>;
  pipeline: Record<string, string>;
  status: 'success' | 'failure';
}

export function truthy(v: unknown): boolean {
  return !(v === false || v === 0 || v === '' || v === null || v === undefined);
}

const asNumber = (v: Value | undefined): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
};

function compare(op: BinaryOp, a: Value | undefined, b: Value | undefined): boolean {
  const x = asNumber(a);
  const y = asNumber(b);
  // Numbers compare as numbers (inputs arrive as strings: '3' < 10); anything else as text.
  const [l, r] = x !== undefined && y !== undefined ? [x, y] : [toText(a), toText(b)];
  switch (op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '<':
      return l < r;
    case '>':
      return l > r;
    case '<=':
      return l <= r;
    default:
      return l >= r;
  }
}

/** How a value reads inside a string: null and missing values are ''. */
export function toText(v: Value | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

export function evaluate(e: Expr, scope: Scope): Value {
  switch (e.kind) {
    case 'literal':
      return e.value;
    case 'not':
      return !truthy(evaluate(e.operand, scope));
    case 'path': {
      let cur: unknown = scope[e.parts[0] as keyof Scope];
      for (const p of e.parts.slice(1))
        cur =
          cur !== null && typeof cur === 'object' && Object.hasOwn(cur, p)
            ? (cur as Record<string, unknown>)[p]
            : undefined;
      if (cur === undefined || cur === null) return null;
      return typeof cur === 'object' ? JSON.stringify(cur) : (cur as Value);
    }
    case 'binary': {
      if (e.op === '&&') {
        const l = evaluate(e.left, scope);
        return truthy(l) ? evaluate(e.right, scope) : l;
      }
      if (e.op === '||') {
        const l = evaluate(e.left, scope);
        return truthy(l) ? l : evaluate(e.right, scope);
      }
      return compare(e.op, evaluate(e.left, scope), evaluate(e.right, scope));
    }
    case 'call': {
      const [a, b] = e.args.map((x) => evaluate(x, scope));
      switch (e.name) {
        case 'success':
          return scope.status === 'success';
        case 'failure':
          return scope.status === 'failure';
        case 'always':
          return true;
        // Pipelines are not cancelled part-way (a signal ends the process): never true.
        case 'cancelled':
          return false;
        case 'contains':
          return toText(a).includes(toText(b));
        case 'startsWith':
          return toText(a).startsWith(toText(b));
        default:
          return toText(a).endsWith(toText(b));
      }
    }
  }
}

/** Every node of an expression (for validation: paths read, functions called). */
export function walk(e: Expr): Expr[] {
  switch (e.kind) {
    case 'not':
      return [e, ...walk(e.operand)];
    case 'binary':
      return [e, ...walk(e.left), ...walk(e.right)];
    case 'call':
      return [e, ...e.args.flatMap(walk)];
    default:
      return [e];
  }
}

/** Does the condition call a status function? If not it means `success() && (…)`, as in GitHub Actions. */
export function usesStatus(e: Expr): boolean {
  return walk(e).some((n) => n.kind === 'call' && STATUS_FUNCTIONS.includes(n.name));
}

const TEMPLATE = /\$\{\{([\s\S]*?)\}\}/g;

/** The expressions inside a string's `${{ }}`s, parsed; throws ExpressionError on the first bad one. */
export function templateExpressions(text: string): Expr[] {
  if (text.includes('${{') && !/\$\{\{[\s\S]*?\}\}/.test(text))
    throw new ExpressionError('"${{" without a closing "}}"', text);
  return [...text.matchAll(TEMPLATE)].map((m) => parseExpression(m[1] as string));
}

/** Replaces each `${{ expr }}` of a string with its value as text. */
export function interpolate(text: string, scope: Scope): string {
  return text.replace(TEMPLATE, (_, src: string) => toText(evaluate(parseExpression(src), scope)));
}

/** An `if:` is an expression, written bare or wrapped in `${{ }}`. */
export function parseCondition(text: string): Expr {
  const m = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(text);
  return parseExpression(m ? (m[1] as string) : text);
}

/** Evaluates an `if:`: without a status function it only runs while the pipeline is succeeding. */
export function conditionHolds(e: Expr, scope: Scope): boolean {
  const value = truthy(evaluate(e, scope));
  return usesStatus(e) ? value : scope.status === 'success' && value;
}
