// A small HQL syntax tree and printer for the editor. It mirrors the printer of pkg/hql (ast.go):
// same precedence rules, same quoting and the same canonical spelling, so the text shown for a
// builder query is what the backend prints for the tree it builds. The backend stays the
// authority: this text is for display and for switching a builder query to HQL mode.

export type Expr =
  | { kind: 'ident'; name: string }
  | { kind: 'star' }
  | { kind: 'attr'; map: string; key: string }
  | { kind: 'string'; value: string }
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' }
  | { kind: 'duration'; ns: number }
  | { kind: 'unary'; op: 'NOT' | '-'; x: Expr }
  | { kind: 'binary'; op: string; l: Expr; r: Expr }
  | { kind: 'in'; x: Expr; not: boolean; list: Expr[] }
  | { kind: 'between'; x: Expr; not: boolean; lo: Expr; hi: Expr }
  | { kind: 'isnull'; x: Expr; not: boolean }
  | { kind: 'call'; name: string; distinct?: boolean; args: Expr[] }
  | { kind: 'macro'; name: string; parens: boolean; args: Expr[] };

export interface SelectItem {
  expr: Expr;
  alias?: string;
}

export interface OrderItem {
  expr: Expr;
  desc?: boolean;
}

export interface Select {
  distinct?: boolean;
  items: SelectItem[];
  from: string;
  where?: Expr;
  groupBy?: Expr[];
  having?: Expr;
  orderBy?: OrderItem[];
  limit?: number;
}

// Reserved words of the HQL lexer (pkg/hql/token.go). They cannot be bare identifiers.
export const KEYWORDS = [
  'SELECT',
  'DISTINCT',
  'AS',
  'FROM',
  'WHERE',
  'GROUP',
  'BY',
  'HAVING',
  'ORDER',
  'ASC',
  'DESC',
  'LIMIT',
  'OFFSET',
  'AND',
  'OR',
  'NOT',
  'IN',
  'BETWEEN',
  'LIKE',
  'ILIKE',
  'IS',
  'NULL',
  'TRUE',
  'FALSE',
  'CASE',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'CONTAINS',
];

const keywordSet = new Set(KEYWORDS);

export function isKeyword(s: string): boolean {
  return keywordSet.has(s.toUpperCase());
}

// Constructors, named after pkg/hql/build.go.
export const col = (name: string): Expr => ({ kind: 'ident', name });
export const attr = (map: string, key: string): Expr => ({ kind: 'attr', map, key });
export const str = (value: string): Expr => ({ kind: 'string', value });
export const int = (value: number): Expr => ({ kind: 'int', value: Math.trunc(value) });
export const float = (value: number): Expr => ({ kind: 'float', value });
export const dur = (ns: number): Expr => ({ kind: 'duration', ns });
export const bin = (op: string, l: Expr, r: Expr): Expr => ({ kind: 'binary', op, l, r });
export const eq = (l: Expr, r: Expr) => bin('=', l, r);
export const not = (x: Expr): Expr => ({ kind: 'unary', op: 'NOT', x });
export const fn = (name: string, ...args: Expr[]): Expr => ({ kind: 'call', name, args });
export const countAll = (): Expr => ({ kind: 'call', name: 'count', args: [{ kind: 'star' }] });
export const inList = (x: Expr, list: Expr[], negate = false): Expr => ({ kind: 'in', x, not: negate, list });
export const between = (x: Expr, lo: Expr, hi: Expr): Expr => ({ kind: 'between', x, not: false, lo, hi });
export const macro = (name: string, ...args: Expr[]): Expr => ({ kind: 'macro', name, parens: true, args });
export const bareMacro = (name: string): Expr => ({ kind: 'macro', name, parens: false, args: [] });
export const timeFilter = (c: Expr = col('timestamp')): Expr => macro('$__timeFilter', c);
export const timeGroup = (c: Expr = col('timestamp')): Expr => macro('$__timeGroup', c, bareMacro('$__interval'));

/** and joins its defined arguments with AND (undefined for none), like hql.And. */
export function and(...es: Array<Expr | undefined>): Expr | undefined {
  return join('AND', es);
}

export function or(...es: Array<Expr | undefined>): Expr | undefined {
  return join('OR', es);
}

function join(op: string, es: Array<Expr | undefined>): Expr | undefined {
  let out: Expr | undefined;
  for (const e of es) {
    if (!e) {
      continue;
    }
    out = out ? bin(op, out, e) : e;
  }
  return out;
}

const PREC_OR = 1;
const PREC_AND = 2;
const PREC_NOT = 3;
const PREC_CMP = 4;
const PREC_ADD = 5;
const PREC_MUL = 6;
const PREC_NEG = 7;
const PREC_PRIMARY = 8;

function binaryPrec(op: string): number {
  switch (op) {
    case 'OR':
      return PREC_OR;
    case 'AND':
      return PREC_AND;
    case '+':
    case '-':
    case '||':
      return PREC_ADD;
    case '*':
    case '/':
    case '%':
      return PREC_MUL;
  }
  return PREC_CMP;
}

function exprPrec(e: Expr): number {
  switch (e.kind) {
    case 'binary':
      return binaryPrec(e.op);
    case 'unary':
      return e.op === 'NOT' ? PREC_NOT : PREC_NEG;
    case 'in':
    case 'between':
    case 'isnull':
      return PREC_CMP;
    case 'int':
    case 'float':
      return e.value < 0 || Object.is(e.value, -0) ? PREC_NEG : PREC_PRIMARY;
    case 'duration':
      return e.ns < 0 ? PREC_NEG : PREC_PRIMARY;
  }
  return PREC_PRIMARY;
}

function isIdentStart(c: string): boolean {
  return c === '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}

/** quoteIdent prints name bare when it can be, double-quoted otherwise (hql.QuoteIdent). */
export function quoteIdent(name: string): string {
  if (name !== '' && isIdentStart(name[0]) && !isKeyword(name) && [...name].every(isIdentPart)) {
    return name;
  }
  return '"' + name.replace(/"/g, '""') + '"';
}

/** quoteString prints s as an HQL string literal: single quotes, a quote inside is doubled. */
export function quoteString(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

const DURATION_UNITS: Array<[string, number]> = [
  ['w', 7 * 86400e9],
  ['d', 86400e9],
  ['h', 3600e9],
  ['m', 60e9],
  ['s', 1e9],
  ['ms', 1e6],
  ['us', 1e3],
  ['ns', 1],
];

/** formatDuration prints ns with the largest unit that divides it exactly (hql.FormatDuration). */
export function formatDuration(ns: number): string {
  const neg = ns < 0;
  const u = Math.abs(Math.trunc(ns));
  let s = '0s';
  if (u !== 0) {
    for (const [name, size] of DURATION_UNITS) {
      if (u % size === 0) {
        s = String(u / size) + name;
        break;
      }
    }
  }
  return neg ? '-' + s : s;
}

const GO_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * parseGoDuration reads a duration the way Go's time.ParseDuration does ("250ms", "1.5s", "1h30m"),
 * which is how the backend reads the traces builder's duration bounds. It returns nanoseconds, or
 * undefined when the text is not a valid duration.
 */
export function parseGoDuration(text: string): number | undefined {
  let s = text.trim();
  if (s === '') {
    return undefined;
  }
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    sign = s[0] === '-' ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') {
    return 0;
  }
  const re = /^(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0;
  let any = false;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m || m[1] === '' || m[1] === '.') {
      return undefined;
    }
    total += parseFloat(m[1]) * GO_UNITS[m[2]];
    s = s.slice(m[0].length);
    any = true;
  }
  return any ? sign * Math.round(total) : undefined;
}

function formatFloat(f: number): string {
  if (!isFinite(f)) {
    return isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf';
  }
  // Go's 'g' with shortest precision switches to exponent form at 1e21 and below 1e-4.
  let s = String(f);
  if (s.includes('e')) {
    const [mant, exp] = s.split('e');
    const n = parseInt(exp, 10);
    s = mant + 'e' + (n < 0 ? '-' : '+') + String(Math.abs(n)).padStart(2, '0');
  }
  if (!/[.eEIN]/.test(s)) {
    s += '.0';
  }
  return s;
}

function wrap(e: Expr, min: number): string {
  return exprPrec(e) < min ? '(' + exprString(e) + ')' : exprString(e);
}

/** exprString prints an expression as HQL text that parses back to the same tree. */
export function exprString(e: Expr): string {
  switch (e.kind) {
    case 'ident':
      return quoteIdent(e.name);
    case 'star':
      return '*';
    case 'attr':
      return quoteIdent(e.map) + '[' + quoteString(e.key) + ']';
    case 'string':
      return quoteString(e.value);
    case 'int':
      return String(e.value);
    case 'float':
      return formatFloat(e.value);
    case 'bool':
      return e.value ? 'TRUE' : 'FALSE';
    case 'null':
      return 'NULL';
    case 'duration':
      return formatDuration(e.ns);
    case 'unary':
      if (e.op === 'NOT') {
        return 'NOT ' + wrap(e.x, PREC_NOT);
      }
      // "-(-5)": a bare "--" would start a comment.
      return exprPrec(e.x) <= PREC_NEG ? '-(' + exprString(e.x) + ')' : '-' + exprString(e.x);
    case 'binary': {
      const p = binaryPrec(e.op);
      const left = p === PREC_CMP ? wrap(e.l, p + 1) : wrap(e.l, p);
      return left + ' ' + e.op + ' ' + wrap(e.r, p + 1);
    }
    case 'in':
      return wrap(e.x, PREC_CMP + 1) + (e.not ? ' NOT' : '') + ' IN (' + e.list.map(exprString).join(', ') + ')';
    case 'between':
      return (
        wrap(e.x, PREC_CMP + 1) +
        (e.not ? ' NOT' : '') +
        ' BETWEEN ' +
        wrap(e.lo, PREC_CMP + 1) +
        ' AND ' +
        wrap(e.hi, PREC_CMP + 1)
      );
    case 'isnull':
      return wrap(e.x, PREC_CMP + 1) + (e.not ? ' IS NOT NULL' : ' IS NULL');
    case 'call':
      return e.name + '(' + (e.distinct ? 'DISTINCT ' : '') + e.args.map(exprString).join(', ') + ')';
    case 'macro':
      return e.parens ? e.name + '(' + e.args.map(exprString).join(', ') + ')' : e.name;
  }
}

/** selectString prints a whole query on one line, as Select.String() does in Go. */
export function selectString(s: Select): string {
  let out = 'SELECT ' + (s.distinct ? 'DISTINCT ' : '');
  out += s.items.map((it) => exprString(it.expr) + (it.alias ? ' AS ' + quoteIdent(it.alias) : '')).join(', ');
  out += ' FROM ' + quoteIdent(s.from);
  if (s.where) {
    out += ' WHERE ' + exprString(s.where);
  }
  if (s.groupBy && s.groupBy.length > 0) {
    out += ' GROUP BY ' + s.groupBy.map(exprString).join(', ');
  }
  if (s.having) {
    out += ' HAVING ' + exprString(s.having);
  }
  if (s.orderBy && s.orderBy.length > 0) {
    out += ' ORDER BY ' + s.orderBy.map((o) => exprString(o.expr) + (o.desc ? ' DESC' : '')).join(', ');
  }
  if (s.limit !== undefined) {
    out += ' LIMIT ' + String(s.limit);
  }
  return out;
}
