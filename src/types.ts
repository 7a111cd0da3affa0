import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

// The query model. Field names match the plugin backend's query JSON (plugin/datasource).

export type QueryType = 'hql' | 'logs' | 'traces' | 'traceId' | 'metrics' | 'logsVolume' | 'logContext';
export type QueryFormat = 'table' | 'time_series' | 'logs' | 'trace';
export type Tier = 'auto' | 'raw' | '1m' | '5m' | '1h' | '1d';
export type Aggregation = 'avg' | 'sum' | 'min' | 'max' | 'count';
export type SpanStatus = '' | 'Unset' | 'Ok' | 'Error';

/**
 * Filter is one condition. key is a column (service, severity_text) or a map key written
 * attributes.<key>, resource.<key> or scope_attributes.<key>. Operators: = != < <= > >= =~ !~
 * contains !contains, and =| !=| (one of / none of values).
 */
export interface Filter {
  key: string;
  operator: string;
  value: string;
  values?: string[];
}

export interface HeimsightQuery extends DataQuery {
  queryType?: QueryType;
  /** format defaults per query type: logs → logs, traceId → trace, metrics → time_series, else table. */
  format?: QueryFormat;
  /** hql is the query text of queryType hql. */
  hql?: string;
  /** variables holds template variable values by name, filled in when the query is sent. */
  variables?: Record<string, string[]>;
  /** adhocFilters are Grafana's ad hoc filters, filled in when the query is sent. */
  adhocFilters?: Filter[];

  // Builder fields shared by logs, traces and metrics.
  service?: string;
  filters?: Filter[];
  limit?: number;

  // Logs: severity levels and a case-insensitive substring of the body.
  severity?: string[];
  search?: string;

  // Traces search: operation (span name), duration bounds (Go durations: "250ms"), status.
  operation?: string;
  minDuration?: string;
  maxDuration?: string;
  status?: SpanStatus;

  // traceId: the trace to show (32 hex digits).
  traceId?: string;

  // Metrics.
  metric?: string;
  aggregation?: Aggregation;
  groupBy?: string[];
  tier?: Tier;

  // Log context (Explore).
  contextTimestamp?: string | number;
  contextDirection?: 'backward' | 'forward';
}

export const DEFAULT_QUERY: Partial<HeimsightQuery> = {
  queryType: 'logs',
  format: 'logs',
};

/** Options configured for each datasource instance (jsonData). */
export interface HeimsightOptions extends DataSourceJsonData {
  /** url is the ingestor REST address when not set as the instance URL. */
  url?: string;
  /** timeout is the request timeout in seconds. */
  timeout?: number;
}

/** Secure settings, sent to the backend and never back to the browser. */
export interface HeimsightSecureOptions {
  apiToken?: string;
}

// Resources served by the backend (CallResource).

export interface CatalogColumn {
  name: string;
  type: string;
  doc?: string;
}

export interface CatalogTable {
  name: string;
  doc?: string;
  columns: CatalogColumn[];
  tier?: boolean;
  materialized?: boolean;
}

export interface CatalogFunction {
  name: string;
  signature?: string;
  doc?: string;
  aggregate?: boolean;
}

export interface CatalogMacro {
  name: string;
  signature?: string;
  doc?: string;
}

export interface Catalog {
  tables: CatalogTable[];
  functions: CatalogFunction[];
  macros: CatalogMacro[];
  keywords?: string[];
}

export interface RetentionPolicy {
  /** dataType is logs, spans or metrics. */
  dataType: string;
  /** tier is "raw" or a tier name such as "1h". */
  tier: string;
  ttlDays: number;
}

export interface RetentionResponse {
  policies: RetentionPolicy[];
}

/** The variable editor's model. */
export type VariableQueryType = 'values' | 'services' | 'metricNames' | 'hql';

export interface HeimsightVariableQuery extends DataQuery {
  variableType: VariableQueryType;
  table?: string;
  column?: string;
  hql?: string;
}

/** HQL error position as the backend reports it (1-based line and column). */
export interface HqlErrorPosition {
  line: number;
  column: number;
  message: string;
}
