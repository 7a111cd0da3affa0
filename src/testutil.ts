// Test helpers: a catalog like the backend's and a scripted getBackendSrv().fetch.
import { of, throwError } from 'rxjs';

import { Catalog } from './types';

export const testCatalog: Catalog = {
  tables: [
    {
      name: 'logs',
      doc: 'log records',
      columns: [
        { name: 'timestamp', type: 'timestamp' },
        { name: 'service', type: 'string' },
        { name: 'body', type: 'string' },
        { name: 'severity_number', type: 'int' },
        { name: 'attributes', type: 'map' },
      ],
    },
    {
      name: 'spans',
      doc: 'spans',
      columns: [
        { name: 'timestamp', type: 'timestamp' },
        { name: 'service', type: 'string' },
        { name: 'name', type: 'string' },
        { name: 'duration_ns', type: 'int' },
      ],
    },
    {
      name: 'metrics',
      columns: [
        { name: 'name', type: 'string' },
        { name: 'value', type: 'float' },
      ],
    },
    { name: 'logs_1hour_counts', tier: true, columns: [{ name: 'pattern', type: 'string' }] },
  ],
  functions: [
    { name: 'count', signature: 'count(x) int', aggregate: true },
    { name: 'lower', signature: 'lower(s string) string' },
  ],
  macros: [
    { name: '$__timeFilter', signature: '$__timeFilter(timestamp)' },
    { name: '$__interval', signature: '$__interval' },
  ],
  keywords: ['SELECT', 'FROM', 'WHERE', 'LIMIT'],
};

export type Route = (req: { url: string; method: string; data?: unknown; params?: Record<string, unknown> }) => unknown;

/** scriptedFetch answers resource URLs from routes: a value, or an Error-like object to fail with. */
export function scriptedFetch(routes: Record<string, Route>) {
  const calls: Array<{ url: string; method: string; data?: unknown; params?: Record<string, unknown> }> = [];
  const fetch = jest.fn((req: { url: string; method?: string; data?: unknown; params?: Record<string, unknown> }) => {
    const method = req.method ?? 'GET';
    calls.push({ url: req.url, method, data: req.data, params: req.params });
    const path = req.url.replace(/^.*\/resources\//, '');
    const route = routes[`${method} ${path}`];
    if (!route) {
      return throwError(() => ({
        status: 404,
        statusText: 'Not Found',
        data: { error: { message: 'no route ' + path } },
      }));
    }
    try {
      const body = route({ url: req.url, method, data: req.data, params: req.params });
      return of({ data: body, status: 200, ok: true });
    } catch (err) {
      return throwError(() => err);
    }
  });
  return { fetch, calls };
}
