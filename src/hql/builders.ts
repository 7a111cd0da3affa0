// Builder → HQL. Each builder mode's fields become a syntax tree (never pasted text), printed the
// way the backend prints the tree it builds from the same fields. The editor shows this text
// and carries it over when the user switches a builder query to HQL mode.

import { AttributeFilter, HeimsightQuery, Tier } from '../types';
import {
  and,
  attr,
  bin,
  col,
  countAll,
  dur,
  eq,
  Expr,
  float,
  fn,
  quoteIdent,
  Select,
  selectString,
  str,
  timeFilter,
  timeGroup,
  parseDuration,
} from './ast';

export const DEFAULT_LOGS_LIMIT = 1000;
export const DEFAULT_TRACES_LIMIT = 100;

export const SEVERITIES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** The metric tier tables by tier choice. "auto" and "raw" read the raw table. */
export const METRIC_TIER_TABLES: Record<Exclude<Tier, 'auto' | 'raw'>, string> = {
  '1m': 'metrics_1min',
  '5m': 'metrics_5min',
  '1h': 'metrics_1hour',
  '1d': 'metrics_1day',
};

// Columns of the metrics table that can be grouped on directly; anything else is an attribute key.
const METRIC_COLUMNS = new Set(['service', 'name', 'type', 'unit', 'description', 'scope_name', 'temporality']);

/** attributeRef turns "resource.host.name" into resource['host.name'] and "k" into attributes['k']. */
export function attributeRef(key: string): Expr {
  const k = key.trim();
  for (const map of ['resource', 'attributes', 'scope_attributes']) {
    if (k.startsWith(map + '.') && k.length > map.length + 1) {
      return attr(map, k.slice(map.length + 1));
    }
  }
  return attr('attributes', k);
}

export function attributeFilterExpr(f: AttributeFilter): Expr | undefined {
  if (!f.key || !f.key.trim()) {
    return undefined;
  }
  const ref = attributeRef(f.key);
  const op = f.op === 'contains' ? 'CONTAINS' : f.op || '=';
  return bin(op, ref, str(f.value ?? ''));
}

function nonEmpty(s: string | undefined): string | undefined {
  return s !== undefined && s.trim() !== '' ? s.trim() : undefined;
}

export function logsSelect(q: HeimsightQuery): Select {
  const service = nonEmpty(q.service);
  const severity = nonEmpty(q.severity);
  const text = q.text !== undefined && q.text !== '' ? q.text : undefined;
  const where = and(
    timeFilter(),
    service ? eq(col('service'), str(service)) : undefined,
    severity ? eq(col('level'), str(severity.toLowerCase())) : undefined,
    text !== undefined ? bin('CONTAINS', col('body'), str(text)) : undefined,
    ...(q.attributes ?? []).map(attributeFilterExpr)
  );
  return {
    items: ['timestamp', 'level', 'service', 'body', 'trace_id', 'span_id', 'attributes', 'resource'].map((c) => ({
      expr: col(c),
    })),
    from: 'logs',
    where,
    orderBy: [{ expr: col('timestamp'), desc: true }],
    limit: q.limit && q.limit > 0 ? q.limit : DEFAULT_LOGS_LIMIT,
  };
}

export function tracesSelect(q: HeimsightQuery): Select {
  const service = nonEmpty(q.service);
  const operation = nonEmpty(q.operation);
  const traceId = nonEmpty(q.traceId);
  const minNs = q.minDuration ? parseDuration(q.minDuration) : undefined;
  const where = and(
    timeFilter(),
    service ? eq(col('service'), str(service)) : undefined,
    operation ? eq(col('name'), str(operation)) : undefined,
    minNs !== undefined && minNs > 0 ? bin('>=', col('duration_ns'), dur(minNs)) : undefined,
    q.status ? eq(col('status_code'), str(q.status)) : undefined,
    traceId ? eq(col('trace_id'), str(traceId.toLowerCase())) : undefined
  );
  return {
    items: ['timestamp', 'trace_id', 'span_id', 'parent_span_id', 'service', 'name', 'duration_ns', 'status_code'].map(
      (c) => ({ expr: col(c) })
    ),
    from: 'spans',
    where,
    orderBy: [{ expr: col('timestamp'), desc: true }],
    limit: q.limit && q.limit > 0 ? q.limit : DEFAULT_TRACES_LIMIT,
  };
}

export function traceIdSelect(q: HeimsightQuery): Select {
  return {
    items: [{ expr: { kind: 'star' } }],
    from: 'spans',
    where: eq(col('trace_id'), str((q.traceId ?? '').trim().toLowerCase())),
    orderBy: [{ expr: col('timestamp') }],
  };
}

/** metricTable is the table a metrics query reads for its tier ("auto" is decided by the server). */
export function metricTable(tier: Tier | undefined): string {
  if (!tier || tier === 'auto' || tier === 'raw') {
    return 'metrics';
  }
  return METRIC_TIER_TABLES[tier];
}

const QUANTILES: Record<string, number> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };

function metricValue(aggregation: string, tiered: boolean): Expr {
  if (aggregation in QUANTILES) {
    return fn('quantile', float(QUANTILES[aggregation]), col(tiered ? 'avg' : 'value'));
  }
  if (tiered) {
    switch (aggregation) {
      case 'sum':
        return fn('sum', col('sum'));
      case 'min':
        return fn('min', col('min'));
      case 'max':
        return fn('max', col('max'));
      case 'count':
        return fn('sum', col('count'));
      case 'rate':
        return fn('rate', col('sum'));
    }
    return bin('/', fn('sum', col('sum')), fn('sum', col('count')));
  }
  switch (aggregation) {
    case 'count':
      return countAll();
    case 'sum':
    case 'min':
    case 'max':
    case 'rate':
      return fn(aggregation, col('value'));
  }
  return fn('avg', col('value'));
}

/** groupExpr resolves a group-by entry: a metrics column, or an attribute key. */
export function groupExpr(key: string): Expr {
  const k = key.trim();
  return METRIC_COLUMNS.has(k) ? col(k) : attributeRef(k);
}

export function groupAlias(key: string): string {
  const e = groupExpr(key);
  return e.kind === 'attr' ? e.key : key.trim();
}

export function metricsSelect(q: HeimsightQuery): Select {
  const table = metricTable(q.tier);
  const tiered = table !== 'metrics';
  const groups = (q.groupBy ?? []).filter((g) => g.trim() !== '');
  const bucket = timeGroup();
  const service = nonEmpty(q.service);
  return {
    items: [
      { expr: bucket, alias: 'time' },
      ...groups.map((g) => ({ expr: groupExpr(g), alias: groupAlias(g) })),
      { expr: metricValue(q.aggregation ?? 'avg', tiered), alias: 'value' },
    ],
    from: table,
    where: and(
      timeFilter(),
      eq(col('name'), str(q.metricName ?? '')),
      service ? eq(col('service'), str(service)) : undefined
    ),
    groupBy: [bucket, ...groups.map(groupExpr)],
    orderBy: [{ expr: col('time') }],
  };
}

/** builderSelect returns the tree for a builder query, or undefined for HQL mode. */
export function builderSelect(q: HeimsightQuery): Select | undefined {
  switch (q.queryType) {
    case 'logs':
      return logsSelect(q);
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
  return s ? selectString(s) : q.hql ?? '';
}

/** defaultFormat is the frame format each query type produces unless the user picks another. */
export function defaultFormat(q: HeimsightQuery): HeimsightQuery['format'] {
  switch (q.queryType) {
    case 'logs':
      return 'logs';
    case 'traces':
      return 'table';
    case 'traceId':
      return 'trace';
    case 'metrics':
      return 'time_series';
  }
  return q.format ?? 'table';
}

export { quoteIdent };
