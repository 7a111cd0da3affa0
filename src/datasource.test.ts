import {
  DataSourceInstanceSettings,
  dateTime,
  FieldType,
  createDataFrame,
  LogLevel,
  LogRowContextQueryDirection,
  LogRowModel,
  SupplementaryQueryType,
} from '@grafana/data';

import { DataSource, logContextQuery, variableNames } from './datasource';
import { HeimsightOptions, HeimsightQuery } from './types';
import { scriptedFetch, testCatalog } from './testutil';

let backend: ReturnType<typeof scriptedFetch>;
const variables: Record<string, string | string[]> = {
  service: 'checkout',
  levels: ['error', 'fatal'],
  tricky: "x' OR '1'='1",
};

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch: (req: never) => backend.fetch(req) }),
  getTemplateSrv: () => ({
    replace: (text: string, _scoped: unknown, format?: (v: string | string[]) => string) =>
      text.replace(/\$\{(\w+)\}|\$(\w+)/g, (m: string, a?: string, b?: string) => {
        const v = variables[(a ?? b)!];
        if (v === undefined) {
          return m;
        }
        return format ? format(v) : Array.isArray(v) ? v.join(',') : v;
      }),
    getVariables: () => [],
  }),
}));

const settings = {
  id: 1,
  uid: 'hs1',
  type: 'heimsight-heimsight-datasource',
  name: 'Heimsight',
  jsonData: {},
  meta: {},
  access: 'proxy',
  readOnly: false,
} as unknown as DataSourceInstanceSettings<HeimsightOptions>;

describe('template variables', () => {
  it('finds variable references but not macros', () => {
    expect(variableNames(['service = $service AND x IN (${levels:csv}) AND $__timeFilter(t)', undefined])).toEqual([
      'service',
      'levels',
    ]);
  });

  it('sends values beside the query, never inside it', () => {
    const ds = new DataSource(settings);
    const q: HeimsightQuery = {
      refId: 'A',
      queryType: 'hql',
      hql: "SELECT * FROM logs WHERE service = $service AND body = ${tricky} AND level IN ($levels) AND x = '$service'",
    };
    const out = ds.applyTemplateVariables(q, {});
    expect(out.hql).toBe(q.hql);
    expect(out.variables).toEqual({ service: ['checkout'], tricky: ["x' OR '1'='1"], levels: ['error', 'fatal'] });
    expect(out.format).toBe('table');
  });

  it('collects variables of builder fields and passes ad hoc filters', () => {
    const ds = new DataSource(settings);
    const out = ds.applyTemplateVariables(
      { refId: 'A', queryType: 'logs', service: '$service', filters: [{ key: 'k', operator: '=', value: '$unknown' }] },
      {},
      [{ key: 'service', operator: '=', value: 'api' }]
    );
    expect(out.variables).toEqual({ service: ['checkout'] });
    expect(out.adhocFilters).toEqual([{ key: 'service', operator: '=', value: 'api' }]);
    expect(out.format).toBe('logs');
  });
});

describe('queries', () => {
  it('skips incomplete queries', () => {
    const ds = new DataSource(settings);
    expect(ds.filterQuery({ refId: 'A', queryType: 'hql', hql: ' ' })).toBe(false);
    expect(ds.filterQuery({ refId: 'A', queryType: 'metrics' })).toBe(false);
    expect(ds.filterQuery({ refId: 'A', queryType: 'traceId', traceId: '' })).toBe(false);
    expect(ds.filterQuery({ refId: 'A', queryType: 'logs' })).toBe(true);
    expect(ds.filterQuery({ refId: 'A', queryType: 'logs', hide: true })).toBe(false);
  });

  it('shows the HQL of a query as its display text', () => {
    const ds = new DataSource(settings);
    expect(ds.getQueryDisplayText({ refId: 'A', queryType: 'traceId', traceId: 'ab' })).toContain("trace_id = 'ab'");
  });
});

describe('resources', () => {
  beforeEach(() => {
    backend = scriptedFetch({
      'GET catalog': () => testCatalog,
      'GET values': (req) => ({ values: [`${req.params?.table}.${req.params?.column}`] }),
      'GET services': () => ({ services: ['a', 'b'] }),
      'GET metric-names': () => ({ metricNames: ['m1'] }),
    });
  });

  it('fetches the catalog once', async () => {
    const ds = new DataSource(settings);
    await ds.getCatalog();
    await ds.getCatalog();
    expect(backend.calls.filter((c) => c.url.endsWith('/catalog'))).toHaveLength(1);
    expect(backend.calls[0].url).toBe('/api/datasources/uid/hs1/resources/catalog');
  });

  it('offers string columns as ad hoc keys and their values', async () => {
    const ds = new DataSource(settings);
    expect((await ds.getTagKeys()).map((k) => k.text)).toEqual(['body', 'name', 'service']);
    expect(await ds.getTagValues({ key: 'name' })).toEqual([{ text: 'spans.name' }]);
    expect(await ds.getTagValues({ key: 'service' })).toEqual([{ text: 'logs.service' }]);
  });

  it('answers variable queries', async () => {
    const ds = new DataSource(settings);
    const range = { from: dateTime(1000), to: dateTime(2000), raw: { from: 'now-1h', to: 'now' } };
    expect(await ds.metricFindQuery({ refId: 'v', variableType: 'services' }, { range })).toEqual([
      { text: 'a' },
      { text: 'b' },
    ]);
    expect(backend.calls[0].params).toEqual({ from: 1000, to: 2000 });
    expect(await ds.metricFindQuery({ refId: 'v', variableType: 'metricNames' })).toEqual([{ text: 'm1' }]);
    expect(await ds.metricFindQuery({ refId: 'v', variableType: 'values', table: 'spans', column: 'kind' })).toEqual([
      { text: 'spans.kind' },
    ]);
    expect(await ds.metricFindQuery({ refId: 'v', variableType: 'values' })).toEqual([]);
  });
});

describe('Explore', () => {
  it('asks for logs volume of logs queries only', () => {
    const ds = new DataSource(settings);
    expect(ds.getSupportedSupplementaryQueryTypes()).toEqual([SupplementaryQueryType.LogsVolume]);
    const logs: HeimsightQuery = { refId: 'A', queryType: 'logs', service: 'api', limit: 10 };
    expect(ds.getSupplementaryQuery({ type: SupplementaryQueryType.LogsVolume }, logs)).toEqual({
      refId: 'log-volume-A',
      queryType: 'logsVolume',
      format: 'time_series',
      service: 'api',
      limit: undefined,
    });
    expect(
      ds.getSupplementaryQuery({ type: SupplementaryQueryType.LogsVolume }, { refId: 'B', queryType: 'hql' })
    ).toBe(undefined);
  });

  it('builds the log context query from the row', () => {
    const frame = createDataFrame({
      fields: [
        { name: 'timestamp', type: FieldType.time, values: [1700000000000] },
        { name: 'service', type: FieldType.string, values: ['checkout'] },
      ],
    });
    const row = {
      rowIndex: 0,
      dataFrame: frame,
      labels: {},
      timeEpochMs: 1700000000000,
      timeEpochNs: '1700000000000123456',
      logLevel: LogLevel.info,
      uid: 'r1',
    } as unknown as LogRowModel;
    expect(logContextQuery(row, { direction: LogRowContextQueryDirection.Forward, limit: 20 }, { refId: 'A' })).toEqual(
      {
        refId: 'log-context-A',
        queryType: 'logContext',
        format: 'logs',
        service: 'checkout',
        contextTimestamp: '1700000000000123456',
        contextDirection: 'forward',
        limit: 20,
      }
    );
    const labelled = { ...row, labels: { 'service.name': 'api' } } as LogRowModel;
    expect(logContextQuery(labelled).service).toBe('api');
    expect(logContextQuery(labelled).contextDirection).toBe('backward');
  });
});
