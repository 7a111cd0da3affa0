import {
  AdHocVariableFilter,
  CoreApp,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceInstanceSettings,
  DataSourceWithLogsContextSupport,
  DataSourceWithSupplementaryQueriesSupport,
  dateTime,
  LogRowContextOptions,
  LogRowContextQueryDirection,
  LogRowModel,
  MetricFindValue,
  ScopedVars,
  SupplementaryQueryOptions,
  SupplementaryQueryType,
  TimeRange,
} from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';
import { lastValueFrom, Observable } from 'rxjs';

import { builderToHql, defaultFormat } from './hql/builders';
import { fetchResource, normalizeCatalog, stringList } from './resources';
import { Catalog, DEFAULT_QUERY, Filter, HeimsightOptions, HeimsightQuery, HeimsightVariableQuery } from './types';
import { HeimsightVariableSupport } from './variables';

// Template variable references in a text: $name, ${name} and ${name:format}; not $__macros.
const VARIABLE_REF = /\$(?:\{([A-Za-z0-9_]+)(?::[^}]*)?\}|([A-Za-z0-9_]+))/g;

/** variableNames lists the template variables referenced in texts (never Grafana's $__ names). */
export function variableNames(texts: Array<string | undefined>): string[] {
  const out = new Set<string>();
  for (const t of texts) {
    if (!t) {
      continue;
    }
    for (const m of t.matchAll(VARIABLE_REF)) {
      const name = m[1] ?? m[2];
      if (!name.startsWith('__')) {
        out.add(name);
      }
    }
  }
  return [...out];
}

export class DataSource
  extends DataSourceWithBackend<HeimsightQuery, HeimsightOptions>
  implements DataSourceWithSupplementaryQueriesSupport<HeimsightQuery>, DataSourceWithLogsContextSupport<HeimsightQuery>
{
  private catalogPromise?: Promise<Catalog>;

  constructor(instanceSettings: DataSourceInstanceSettings<HeimsightOptions>) {
    super(instanceSettings);
    this.variables = new HeimsightVariableSupport(this);
  }

  getDefaultQuery(_: CoreApp): Partial<HeimsightQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(q: HeimsightQuery): boolean {
    if (q.hide) {
      return false;
    }
    switch (q.queryType ?? 'hql') {
      case 'hql':
        return !!q.hql && q.hql.trim() !== '';
      case 'metrics':
        return !!q.metric && q.metric.trim() !== '';
      case 'traceId':
        return !!q.traceId && q.traceId.trim() !== '';
    }
    return true;
  }

  /**
   * applyTemplateVariables sends variable values next to the query instead of pasting them into
   * it: the backend turns each value into a literal node of the query's syntax tree.
   */
  applyTemplateVariables(query: HeimsightQuery, scopedVars: ScopedVars, filters?: AdHocVariableFilter[]) {
    const names = variableNames([
      query.hql,
      query.service,
      query.search,
      query.operation,
      query.traceId,
      query.metric,
      query.minDuration,
      query.maxDuration,
      ...(query.severity ?? []),
      ...(query.filters ?? []).map((f) => f.value),
    ]);
    const variables: Record<string, string[]> = { ...(query.variables ?? {}) };
    const srv = getTemplateSrv();
    for (const name of names) {
      const ref = '${' + name + '}';
      let values: string[] | undefined;
      const replaced = srv.replace(ref, scopedVars, (v: string | string[]) => {
        values = (Array.isArray(v) ? v : [v]).map(String);
        return '';
      });
      if (values !== undefined) {
        variables[name] = values;
      } else if (replaced !== ref) {
        variables[name] = [replaced];
      }
    }
    const out: HeimsightQuery = {
      ...query,
      format: query.format ?? defaultFormat(query.queryType),
      variables,
    };
    // Duration bounds are parsed by the backend without variable support: resolve them here.
    for (const k of ['minDuration', 'maxDuration'] as const) {
      if (out[k]) {
        out[k] = srv.replace(out[k], scopedVars);
      }
    }
    const adhoc = toFilters(filters);
    if (adhoc.length > 0) {
      out.adhocFilters = [...(query.adhocFilters ?? []), ...adhoc];
    }
    return out;
  }

  getQueryDisplayText(query: HeimsightQuery): string {
    return builderToHql(query);
  }

  // Resources.

  getCatalog(): Promise<Catalog> {
    if (!this.catalogPromise) {
      this.catalogPromise = fetchResource<unknown>(this.uid, 'catalog')
        .then(normalizeCatalog)
        .catch((err) => {
          this.catalogPromise = undefined;
          throw err;
        });
    }
    return this.catalogPromise;
  }

  async getValues(table: string, column: string, range?: TimeRange, service?: string): Promise<string[]> {
    const raw = await fetchResource<unknown>(this.uid, 'values', {
      table,
      column,
      service,
      from: range?.from.valueOf(),
      to: range?.to.valueOf(),
    });
    return stringList(raw, 'values');
  }

  async getServices(range?: TimeRange): Promise<string[]> {
    const raw = await fetchResource<unknown>(this.uid, 'services', {
      from: range?.from.valueOf(),
      to: range?.to.valueOf(),
    });
    return stringList(raw, 'services');
  }

  async getMetricNames(service?: string, range?: TimeRange): Promise<string[]> {
    const raw = await fetchResource<unknown>(this.uid, 'metric-names', {
      service,
      from: range?.from.valueOf(),
      to: range?.to.valueOf(),
    });
    return stringList(raw, 'metricNames');
  }

  // Ad hoc filters: keys are the string columns of the raw tables, values come from `values`.

  async getTagKeys(): Promise<MetricFindValue[]> {
    const catalog = await this.getCatalog();
    const seen = new Set<string>();
    for (const t of catalog.tables.filter((t) => ['logs', 'spans', 'metrics'].includes(t.name))) {
      for (const c of t.columns) {
        if (c.type === 'string') {
          seen.add(c.name);
        }
      }
    }
    return [...seen].sort().map((text) => ({ text }));
  }

  async getTagValues(options: { key: string; timeRange?: TimeRange }): Promise<MetricFindValue[]> {
    const catalog = await this.getCatalog();
    const table =
      ['logs', 'spans', 'metrics'].find((name) =>
        catalog.tables.find((t) => t.name === name)?.columns.some((c) => c.name === options.key)
      ) ?? 'logs';
    const values = await this.getValues(table, options.key, options.timeRange);
    return values.map((text) => ({ text }));
  }

  /** metricFindQuery answers a variable query (see VariableQueryEditor). */
  async metricFindQuery(query: HeimsightVariableQuery, options?: { range?: TimeRange; scopedVars?: ScopedVars }) {
    const range = options?.range;
    switch (query.variableType) {
      case 'services':
        return (await this.getServices(range)).map((text) => ({ text }));
      case 'metricNames':
        return (await this.getMetricNames(undefined, range)).map((text) => ({ text }));
      case 'values':
        if (!query.column) {
          return [];
        }
        return (await this.getValues(query.table || 'logs', query.column, range)).map((text) => ({ text }));
    }
    return [];
  }

  // Explore: logs volume.

  getSupportedSupplementaryQueryTypes(): SupplementaryQueryType[] {
    return [SupplementaryQueryType.LogsVolume];
  }

  getSupplementaryQuery(options: SupplementaryQueryOptions, query: HeimsightQuery): HeimsightQuery | undefined {
    if (options.type !== SupplementaryQueryType.LogsVolume || query.queryType !== 'logs') {
      return undefined;
    }
    return {
      ...query,
      refId: `log-volume-${query.refId}`,
      queryType: 'logsVolume',
      format: 'time_series',
      limit: undefined,
    };
  }

  getSupplementaryRequest(
    type: SupplementaryQueryType,
    request: DataQueryRequest<HeimsightQuery>
  ): DataQueryRequest<HeimsightQuery> | undefined {
    if (type !== SupplementaryQueryType.LogsVolume) {
      return undefined;
    }
    const targets = request.targets
      .filter((t) => !t.hide)
      .map((t) => this.getSupplementaryQuery({ type }, t))
      .filter((t): t is HeimsightQuery => t !== undefined);
    if (targets.length === 0) {
      return undefined;
    }
    return { ...request, targets };
  }

  // Explore: log context, the records before and after a line from the same service.

  async getLogRowContextQuery(
    row: LogRowModel,
    options?: LogRowContextOptions,
    origQuery?: HeimsightQuery
  ): Promise<HeimsightQuery> {
    return logContextQuery(row, options, origQuery);
  }

  async getLogRowContext(
    row: LogRowModel,
    options?: LogRowContextOptions,
    origQuery?: HeimsightQuery
  ): Promise<DataQueryResponse> {
    const query = logContextQuery(row, options, origQuery);
    const request = {
      targets: [query],
      range: contextRange(row),
      requestId: `log-context-${row.uid}`,
      interval: '1s',
      intervalMs: 1000,
      scopedVars: {},
      timezone: 'UTC',
      app: CoreApp.Explore,
      startTime: Date.now(),
    } as unknown as DataQueryRequest<HeimsightQuery>;
    return lastValueFrom(this.query(request) as Observable<DataQueryResponse>);
  }
}

function toFilters(filters?: AdHocVariableFilter[]): Filter[] {
  return (filters ?? [])
    .filter((f) => f.key)
    .map((f) => ({
      key: f.key,
      operator: f.operator,
      value: f.value,
      ...(f.values && f.values.length > 0 ? { values: f.values } : {}),
    }));
}

/** serviceOf finds the service of a log row: its labels, or a "service" field of its frame. */
export function serviceOf(row: LogRowModel): string {
  const labels = row.labels ?? {};
  const fromLabels = labels['service.name'] ?? labels.service;
  if (fromLabels) {
    return fromLabels;
  }
  const field = row.dataFrame?.fields.find((f) => f.name === 'service' || f.name === 'serviceName');
  const v = field?.values[row.rowIndex];
  return v ? String(v) : '';
}

export function logContextQuery(
  row: LogRowModel,
  options?: LogRowContextOptions,
  origQuery?: HeimsightQuery
): HeimsightQuery {
  return {
    refId: `log-context-${origQuery?.refId ?? 'A'}`,
    queryType: 'logContext',
    format: 'logs',
    service: serviceOf(row),
    contextTimestamp: row.timeEpochNs ?? String(row.timeEpochMs),
    contextDirection: options?.direction === LogRowContextQueryDirection.Forward ? 'forward' : 'backward',
    limit: options?.limit ?? 50,
  };
}

// The backend sets the context window itself; the request still carries a range around the row.
function contextRange(row: LogRowModel): TimeRange {
  const day = 24 * 3600 * 1000;
  const from = row.timeEpochMs - day;
  const to = row.timeEpochMs + day;
  return { from: dateTime(from), to: dateTime(to), raw: { from: dateTime(from), to: dateTime(to) } };
}
