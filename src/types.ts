import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

// The query model. Field names match the plugin backend's query JSON (plugin/datasource).

export type QueryType = 'hql' | 'logs' | 'traces' | 'traceId' | 'metrics';
export type QueryFormat = 'table' | 'time_series' | 'logs' | 'trace';
export type Tier = 'auto' | 'raw' | '1m' | '5m' | '1h' | '1d';
export type Aggregation = 'avg' | 'sum' | 'min' | 'max' | 'count' | 'rate' | 'p50' | 'p90' | 'p95' | 'p99';
export type AttributeOp = '=' | '!=' | '=~' | '!~' | 'contains';
export type SpanStatus = '' | 'Unset' | 'Ok' | 'Error';

export interface AttributeFilter {
  key: string;
  op: AttributeOp;
  value: string;
}

export interface AdHocFilterModel {
  key: string;
  operator: string;
  value: string;
}

export interface HeimsightQuery extends DataQuery {
  queryType?: QueryType;
  format?: QueryFormat;
  // hql
  hql?: string;
  // logs, traces, metrics
  service?: string;
  // logs
  severity?: string;
  text?: string;
  attributes?: AttributeFilter[];
  // traces / traceId
  operation?: string;
  /** minDuration is a duration such as "250ms" or "1.5s". */
  minDuration?: string;
  status?: SpanStatus;
  traceId?: string;
  // metrics
  metricName?: string;
  aggregation?: Aggregation;
  groupBy?: string[];
  tier?: Tier;
  /** limit caps the rows of logs and traces searches. */
  limit?: number;
  /** adhocFilters are Grafana's ad hoc filters, applied by the backend as syntax tree nodes. */
  adhocFilters?: AdHocFilterModel[];
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
