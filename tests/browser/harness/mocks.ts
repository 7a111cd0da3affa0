// Canned answers for the plugin's resources, shaped like plugin/datasource/resources.go.
import { Observable, of, throwError, delay } from 'rxjs';

export const harnessState = {
  failRetentionSave: false,
  // The server's shape (docs/rest-api.md): data types, and tiers keyed by tier table.
  retention: {
    logs: { data_type: 'logs', ttl_days: 30 },
    metrics: { data_type: 'metrics', ttl_days: 90 },
    traces: { data_type: 'traces', ttl_days: 30 },
    tiers: {
      logs_1hour_counts: { data_type: 'logs', tier: 'logs_1hour_counts', ttl_days: 365 },
      metrics_1hour: { data_type: 'metrics', tier: 'metrics_1hour', ttl_days: 365 },
      spans_1hour_stats: { data_type: 'traces', tier: 'spans_1hour_stats', ttl_days: 365 },
    },
  } as unknown,
  puts: [] as unknown[],
};

const col = (name: string, type: string, doc = '') => ({ name, type, doc });

const catalog = {
  tables: [
    {
      name: 'logs',
      doc: 'log records',
      timeColumn: 'timestamp',
      tier: false,
      columns: [
        col('timestamp', 'timestamp'),
        col('service', 'string', 'resource service.name'),
        col('severity_text', 'string'),
        col('severity_number', 'int', 'OTLP 0..24'),
        col('body', 'string', 'log body as text'),
        col('trace_id', 'string'),
        col('attributes', 'map'),
        col('level', 'string'),
      ],
    },
    {
      name: 'spans',
      doc: 'spans',
      timeColumn: 'timestamp',
      tier: false,
      columns: [
        col('timestamp', 'timestamp'),
        col('service', 'string'),
        col('name', 'string', 'span (operation) name'),
        col('duration_ns', 'int', 'end - start, ns'),
        col('status_code', 'string'),
        col('trace_id', 'string'),
      ],
    },
    {
      name: 'metrics',
      doc: 'metric data points',
      timeColumn: 'timestamp',
      tier: false,
      columns: [col('name', 'string'), col('value', 'float')],
    },
    {
      name: 'spans_1hour_stats',
      doc: 'span statistics per hour',
      timeColumn: 'timestamp',
      tier: true,
      columns: [col('p95_duration_ns', 'float')],
    },
  ],
  functions: [
    { name: 'count', signature: 'count(*) int', aggregate: true },
    { name: 'quantile', signature: 'quantile(q, x number) float', aggregate: true },
    { name: 'lower', signature: 'lower(s string) string', aggregate: false },
  ],
  keywords: ['AND', 'BY', 'FROM', 'GROUP', 'LIMIT', 'ORDER', 'SELECT', 'WHERE'],
  macros: [
    { name: '$__timeFilter', signature: '$__timeFilter(timestamp)', doc: 'the column is within the time range' },
    { name: '$__timeGroup', signature: '$__timeGroup(timestamp, $__interval)', doc: 'time bucket' },
    { name: '$__interval', signature: '$__interval', doc: 'the panel interval' },
  ],
};

type Req = { url: string; method?: string; data?: any; params?: Record<string, unknown> };

function answer(req: Req): unknown {
  const path = req.url.replace(/^.*\/resources\//, '');
  const method = req.method ?? 'GET';
  switch (`${method} ${path}`) {
    case 'GET catalog':
      return catalog;
    case 'GET services':
      return { services: ['cart', 'checkout', 'frontend'] };
    case 'GET metric-names':
      return { metricNames: ['http.server.duration', 'process.cpu.time', 'queue_depth'] };
    case 'GET values':
      return { values: ['a', 'b'] };
    case 'GET retention':
      return harnessState.retention;
    case 'PUT retention':
      harnessState.puts.push(req.data);
      if (harnessState.failRetentionSave) {
        throw {
          status: 400,
          data: { error: { code: 'bad_request', message: 'the server refused: storage is read-only' } },
        };
      }
      harnessState.retention = req.data;
      return req.data;
  }
  throw { status: 404, data: { error: { code: 'not_found', message: 'no resource at ' + path } } };
}

function fetch(req: Req): Observable<{ data: unknown; status: number; ok: boolean }> {
  try {
    return of({ data: answer(req), status: 200, ok: true }).pipe(delay(50));
  } catch (err) {
    return throwError(() => err);
  }
}

const toPromise = <T>(o: Observable<{ data: T }>) =>
  new Promise<T>((resolve, reject) => o.subscribe({ next: (r) => resolve(r.data), error: reject }));

export const mockBackendSrv = {
  fetch,
  get: (url: string, params?: Record<string, unknown>) => toPromise(fetch({ url, params })),
  put: (url: string, data?: unknown) => toPromise(fetch({ url, method: 'PUT', data })),
  post: (url: string, data?: unknown) => toPromise(fetch({ url, method: 'POST', data })),
  delete: (url: string) => toPromise(fetch({ url, method: 'DELETE' })),
  request: (req: Req) => toPromise(fetch(req)),
  datasourceRequest: (req: Req) => toPromise(fetch(req)),
};

(window as any).harnessState = harnessState;
