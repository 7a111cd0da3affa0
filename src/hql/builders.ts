// Builder → HQL. The backend (plugin/datasource/query.go) builds the query it runs from the
// builder fields as a syntax tree and prints it; this file builds the same tree in the same order
// and prints it with the same printer rules, so the editor shows exactly what will run and can
// carry it over when the user switches a builder query to HQL mode.
//
// Unlike the backend, these functions never fail: an invalid field (an unknown severity, a
// malformed duration) is left out of the displayed query and reported by validateQuery.

import { Filter, HeimsightQuery, Tier } from '../types';
import {
  and,
  attr,
  bin,
  col,
  countAll,
  eq,
  Expr,
  float,
  fn,
  inList,
  int,
  isKeyword,
  parseGoDuration,
  Select,
  selectString,
  str,
  timeFilter,
  timeGroup,
} from './ast';

export const DEFAULT_LOGS_LIMIT = 1000;
export const DEFAULT_TRACES_LIMIT = 500;
export const TRACE_MAX_SPANS = 20000;
export const MAX_BUILDER_LIMIT = 100000;

export const SEVERITIES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
export const AGGREGATIONS = ['avg', 'sum', 'min', 'max', 'count'] as const;
export const TIERS: Tier[] = ['auto', 'raw', '1m', '5m', '1h', '1d'];
export const FILTER_OPERATORS = ['=', '!=', '<', '<=', '>', '>=', '=~', '!~', 'contains', '!contains', '=|', '!=|'];

// The severities a user may pick, mapped to the values of the catalog's derived logs.level.
const LEVEL_NAMES: Record<string, string> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  information: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
  fatal: 'fatal',
  critical: 'fatal',
};

/** The metric tier tables by tier choice; "auto" and "raw" read the raw table. */
export const METRIC_TIER_TABLES: Record<Tier, string> = {
  auto: 'metrics',
  raw: 'metrics',
  '1m': 'metrics_1min',
  '5m': 'metrics_5min',
  '1h': 'metrics_1hour',
  '1d': 'metrics_1day',
};

/** The metric types whose points carry the value column the raw-table builder aggregates. */
export const METRIC_VALUE_TYPES = ['gauge', 'sum'];

const MAP_COLUMNS = ['attributes', 'resource', 'scope_attributes'];

// Non-string scalar columns per table: a filter value that is a number becomes a number there.
const NUMERIC_COLUMNS: Record<string, string[]> = {
  logs: ['trace_flags', 'severity_number'],
  spans: ['duration_ns', 'trace_flags'],
  metrics: [
    'flags',
    'value',
    'count',
    'sum',
    'min',
    'max',
    'scale',
    'zero_count',
    'zero_threshold',
    'positive_offset',
    'negative_offset',
  ],
};

const BARE_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAP_REF = /^([A-Za-z_][A-Za-z0-9_]*)\s*\[\s*'((?:[^']|'')*)'\s*\]$/;

/** keyExpr turns a filter or group-by key into a column or map-key node (query.go keyExpr). */
export function keyExpr(key: string): Expr {
  const k = key.trim();
  for (const m of MAP_COLUMNS) {
    if (k.startsWith(m + '.') && k.length > m.length + 1) {
      return attr(m, k.slice(m.length + 1));
    }
  }
  if (BARE_IDENT.test(k) && !isKeyword(k)) {
    return col(k);
  }
  const ref = MAP_REF.exec(k);
  if (ref && !isKeyword(ref[1])) {
    return attr(ref[1], ref[2].replace(/''/g, "'"));
  }
  return col(k);
}

function literal(table: string, key: Expr, value: string): Expr {
  if (key.kind === 'ident' && (NUMERIC_COLUMNS[table] ?? []).includes(key.name)) {
    if (/^[+-]?\d+$/.test(value) && Number.isSafeInteger(Number(value))) {
      return int(Number(value));
    }
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) {
      return float(Number(value));
    }
  }
  return str(value);
}

/** filterExpr builds one filter's condition, or undefined when it is incomplete or invalid. */
export function filterExpr(table: string, f: Filter): Expr | undefined {
  if (!f.key || f.key.trim() === '') {
    return undefined;
  }
  const k = keyExpr(f.key);
  const value = f.value ?? '';
  const lit = () => literal(table, k, value);
  const op = (f.operator ?? '').trim().toLowerCase();
  switch (op) {
    case '':
    case '=':
    case '==':
      return eq(k, lit());
    case '!=':
    case '<>':
      return bin('!=', k, lit());
    case '<':
    case '<=':
    case '>':
    case '>=':
      return bin(op, k, lit());
    case '=~':
    case '!~':
      return bin(op, k, str(value));
    case 'contains':
      return bin('CONTAINS', k, str(value));
    case '!contains':
    case 'not contains':
      return bin('NOT CONTAINS', k, str(value));
    case '=|':
    case 'in':
    case '!=|':
    case 'not in': {
      const vals = f.values && f.values.length > 0 ? f.values : [value];
      return inList(
        k,
        vals.map((v) => literal(table, k, v)),
        op === '!=|' || op === 'not in'
      );
    }
  }
  return undefined;
}

function filtersExpr(table: string, fs: Filter[]): Expr | undefined {
  let out: Expr | undefined;
  for (const f of fs) {
    out = and(out, filterExpr(table, f));
  }
  return out;
}

// commonFilters: service, builder filters and ad hoc filters (query.go commonFilters).
function commonFilters(q: HeimsightQuery, table: string): Expr | undefined {
  const svc = (q.service ?? '').trim();
  const where = svc !== '' ? eq(col('service'), str(svc)) : undefined;
  return and(where, filtersExpr(table, [...(q.filters ?? []), ...(q.adhocFilters ?? [])]));
}

function limitOf(q: HeimsightQuery, def: number): number {
  return q.limit && q.limit > 0 && q.limit <= MAX_BUILDER_LIMIT ? Math.trunc(q.limit) : def;
}

function filter(s: Select, cond: Expr | undefined): Select {
  s.where = and(s.where, cond);
  return s;
}

// filterAll ANDs each top-level AND term of cond into the WHERE, so the query reads
// "a AND b AND c" rather than nesting parenthesised groups (query.go filterAll).
function filterAll(s: Select, cond: Expr | undefined): void {
  if (cond && cond.kind === 'binary' && cond.op === 'AND') {
    filterAll(s, cond.l);
    filterAll(s, cond.r);
    return;
  }
  filter(s, cond);
}

function selectFrom(table: string, ...cols: Expr[]): Select {
  return { from: table, items: cols.length > 0 ? cols.map((expr) => ({ expr })) : [{ expr: { kind: 'star' } }] };
}

function logsWhere(q: HeimsightQuery): Expr | undefined {
  const levels: string[] = [];
  for (const s of q.severity ?? []) {
    const l = LEVEL_NAMES[s.trim().toLowerCase()];
    if (l && !levels.includes(l)) {
      levels.push(l);
    }
  }
  const sev = levels.length > 0 ? inList(col('level'), levels.map(str)) : undefined;
  const search = q.search ?? '';
  return and(commonFilters(q, 'logs'), sev, search !== '' ? bin('CONTAINS', col('body'), str(search)) : undefined);
}

export const LOG_COLUMNS = [
  'timestamp',
  'severity_text',
  'severity_number',
  'body',
  'level',
  'trace_id',
  'span_id',
  'service',
  'attributes',
  'resource',
  'scope_name',
  'scope_attributes',
];

export function logsSelect(q: HeimsightQuery): Select {
  const s = selectFrom('logs', ...LOG_COLUMNS.map(col));
  filter(s, timeFilter());
  filterAll(s, logsWhere(q));
  s.orderBy = [{ expr: col('timestamp'), desc: true }];
  s.limit = limitOf(q, DEFAULT_LOGS_LIMIT);
  return s;
}

/** logsVolumeSelect is Explore's logs volume: counts per interval and level. */
export function logsVolumeSelect(q: HeimsightQuery): Select {
  const s = selectFrom('logs');
  filter(s, timeFilter());
  s.groupBy = [timeGroup(), col('level')];
  s.orderBy = [{ expr: col('time') }];
  s.items = [{ expr: timeGroup(), alias: 'time' }, { expr: col('level') }, { expr: countAll(), alias: 'count' }];
  filterAll(s, logsWhere(q));
  return s;
}

const TRACE_SEARCH_COLUMNS = [
  'timestamp',
  'trace_id',
  'span_id',
  'parent_span_id',
  'service',
  'name',
  'kind',
  'duration_ns',
  'status_code',
];

const STATUS: Record<string, string> = { unset: 'Unset', ok: 'Ok', error: 'Error' };

export function tracesSelect(q: HeimsightQuery): Select {
  let where = commonFilters(q, 'spans');
  const op = (q.operation ?? '').trim();
  if (op !== '') {
    where = and(where, eq(col('name'), str(op)));
  }
  const min = parseGoDuration(q.minDuration ?? '');
  if (min !== undefined) {
    where = and(where, bin('>=', col('duration_ns'), int(min)));
  }
  const max = parseGoDuration(q.maxDuration ?? '');
  if (max !== undefined) {
    where = and(where, bin('<=', col('duration_ns'), int(max)));
  }
  const st = STATUS[(q.status ?? '').trim().toLowerCase()];
  if (st) {
    where = and(where, eq(col('status_code'), str(st)));
  }
  const s = selectFrom('spans', ...TRACE_SEARCH_COLUMNS.map(col));
  filter(s, timeFilter());
  filterAll(s, where);
  s.orderBy = [{ expr: col('timestamp'), desc: true }];
  s.limit = limitOf(q, DEFAULT_TRACES_LIMIT);
  return s;
}

const TRACE_COLUMNS = [
  'trace_id',
  'span_id',
  'parent_span_id',
  'trace_state',
  'name',
  'kind',
  'service',
  'timestamp',
  'duration_ns',
  'status_code',
  'status_message',
  'attributes',
  'resource',
  'scope_name',
  'scope_version',
  'events',
  'links',
];

export function traceIdSelect(q: HeimsightQuery): Select {
  const s = selectFrom('spans', ...TRACE_COLUMNS.map(col));
  filter(s, eq(col('trace_id'), str((q.traceId ?? '').trim().toLowerCase())));
  s.orderBy = [{ expr: col('timestamp') }];
  s.limit = TRACE_MAX_SPANS;
  return s;
}

/** metricTable is the table a metrics query reads; "auto" leaves the tier to the server's planner. */
export function metricTable(tier: Tier | string | undefined): string {
  return METRIC_TIER_TABLES[((tier ?? '').trim().toLowerCase() || 'auto') as Tier] ?? 'metrics';
}

function tierAggregate(table: string, agg: string): Expr {
  if (table === 'metrics') {
    return fn(agg, col('value'));
  }
  switch (agg) {
    case 'min':
    case 'max':
    case 'sum':
      return fn(agg, col(agg));
    case 'count':
      return fn('sum', col('count'));
  }
  // An average of averages would weigh buckets equally.
  return bin('/', fn('sum', col('sum')), fn('sum', col('count')));
}

export function metricsSelect(q: HeimsightQuery): Select {
  const name = (q.metric ?? '').trim();
  const agg = (q.aggregation ?? '').trim().toLowerCase() || 'avg';
  const table = metricTable(q.tier);
  const s = selectFrom(table);
  filter(s, timeFilter());
  filter(s, eq(col('name'), str(name)));
  if (table === 'metrics') {
    // Only gauge and sum points carry a value; the restriction also lets the server answer
    // "auto" from an aggregation tier (query.go buildMetrics).
    filter(s, inList(col('type'), METRIC_VALUE_TYPES.map(str)));
  }
  filterAll(s, commonFilters(q, 'metrics'));
  s.items = [{ expr: timeGroup(), alias: 'time' }];
  s.groupBy = [timeGroup()];
  for (const g of q.groupBy ?? []) {
    if (g.trim() === '') {
      continue;
    }
    const k = keyExpr(g);
    s.items.push({ expr: k, alias: k.kind === 'attr' ? k.key : undefined });
    s.groupBy.push(k);
  }
  s.items.push({ expr: tierAggregate(table, AGGREGATIONS.includes(agg as never) ? agg : 'avg'), alias: name });
  s.orderBy = [{ expr: col('time') }];
  return s;
}

/** builderSelect returns the tree for a builder query, or undefined for HQL mode. */
export function builderSelect(q: HeimsightQuery): Select | undefined {
  switch (q.queryType) {
    case 'logs':
      return logsSelect(q);
    case 'logsVolume':
      return logsVolumeSelect(q);
    case 'traces':
      return tracesSelect(q);
    case 'traceId':
      return traceIdSelect(q);
    case 'metrics':
      return metricsSelect(q);
  }
  return undefined;
}

/** builderToHql prints the HQL a builder query runs; HQL-mode queries return their own text. */
export function builderToHql(q: HeimsightQuery): string {
  const s = builderSelect(q);
  return s ? selectString(s) : (q.hql ?? '');
}

/** defaultFormat is the frame format a query type produces unless the user picks another. */
export function defaultFormat(queryType: HeimsightQuery['queryType']): NonNullable<HeimsightQuery['format']> {
  switch (queryType) {
    case 'logs':
    case 'logContext':
      return 'logs';
    case 'traceId':
      return 'trace';
    case 'metrics':
    case 'logsVolume':
      return 'time_series';
  }
  return 'table';
}

/** validateQuery lists what the backend will refuse in a builder query, in the user's words. */
export function validateQuery(q: HeimsightQuery): string[] {
  const errs: string[] = [];
  for (const s of q.severity ?? []) {
    if (!LEVEL_NAMES[s.trim().toLowerCase()]) {
      errs.push(`unknown severity "${s}" (use trace, debug, info, warn, error or fatal)`);
    }
  }
  for (const [field, v] of [
    ['minimum duration', q.minDuration],
    ['maximum duration', q.maxDuration],
  ] as const) {
    if (v && v.trim() !== '' && parseGoDuration(v) === undefined) {
      errs.push(`${field} "${v}" is not a duration such as 250ms or 2s`);
    }
  }
  if (q.limit !== undefined && q.limit !== 0 && (q.limit < 0 || q.limit > MAX_BUILDER_LIMIT)) {
    errs.push(`limit ${q.limit} is out of range (1..${MAX_BUILDER_LIMIT})`);
  }
  for (const f of q.filters ?? []) {
    if (f.key.trim() !== '' && !FILTER_OPERATORS.includes((f.operator || '=').trim().toLowerCase())) {
      errs.push(`filter on "${f.key}" has an unknown operator "${f.operator}"`);
    }
  }
  if (q.queryType === 'traceId' && q.traceId && !/^[0-9a-fA-F]{32}$/.test(q.traceId.trim())) {
    errs.push('a trace id is 32 hex digits');
  }
  if (q.queryType === 'metrics' && !(q.metric ?? '').trim()) {
    errs.push('choose a metric');
  }
  return errs;
}
