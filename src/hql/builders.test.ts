import cases from './testdata/builders.json';
import {
  builderToHql,
  defaultFormat,
  keyExpr,
  logsSelect,
  metricTable,
  metricsSelect,
  tracesSelect,
  validateQuery,
} from './builders';
import { exprString, selectString } from './ast';
import { HeimsightQuery } from '../types';

// The fixtures are shared with provisioning/provisioning_test.go, which checks that each text is
// exactly what the Go printer prints for the parsed tree and that it plans against the catalog.
describe('builder → HQL fixtures', () => {
  it('includes the backend expectations (plugin/datasource/query_test.go)', () => {
    expect(cases.filter((c) => c.name.startsWith('backend: ')).length).toBe(5);
  });

  it('has a case for every builder', () => {
    const types = new Set(cases.map((c) => c.query.queryType));
    expect([...types].sort()).toEqual(['logs', 'logsVolume', 'metrics', 'traceId', 'traces']);
  });

  it.each(cases.map((c) => [c.name, c.query, c.hql]))('%s', (_name, query, hql) => {
    expect(builderToHql({ ...(query as Omit<HeimsightQuery, 'refId'>), refId: 'A' })).toBe(hql);
  });
});

describe('logs builder', () => {
  it('doubles single quotes in every string literal', () => {
    const hql = builderToHql({ refId: 'A', queryType: 'logs', service: "a'b", search: "'" });
    expect(hql).toContain("service = 'a''b'");
    expect(hql).toContain("body CONTAINS ''''");
  });

  it('maps severities to levels once each and ignores unknown ones', () => {
    const s = logsSelect({ refId: 'A', queryType: 'logs', severity: ['info', 'nope', 'WARNING', 'warn', 'critical'] });
    expect(exprString(s.where!)).toBe("$__timeFilter(timestamp) AND level IN ('info', 'warn', 'fatal')");
  });

  it('writes every condition as one flat AND list, as the backend does', () => {
    const s = logsSelect({
      refId: 'A',
      queryType: 'logs',
      service: 'a',
      filters: [
        { key: 'k1', operator: '=', value: '1' },
        { key: 'k2', operator: '=', value: '2' },
      ],
      search: 'x',
    });
    expect(exprString(s.where!)).toBe(
      "$__timeFilter(timestamp) AND service = 'a' AND k1 = '1' AND k2 = '2' AND body CONTAINS 'x'"
    );
  });

  it('keeps a value that looks like HQL inside its literal', () => {
    const hql = builderToHql({ refId: 'A', queryType: 'logs', service: "x' OR '1'='1" });
    expect(hql).toContain("service = 'x'' OR ''1''=''1'");
  });

  it('uses the limit only within range', () => {
    expect(logsSelect({ refId: 'A', queryType: 'logs', limit: 5 }).limit).toBe(5);
    expect(logsSelect({ refId: 'A', queryType: 'logs', limit: 0 }).limit).toBe(1000);
  });
});

describe('traces builder', () => {
  it('reads Go durations as nanoseconds and leaves out invalid ones', () => {
    const ok = tracesSelect({ refId: 'A', queryType: 'traces', minDuration: '2s' });
    expect(exprString(ok.where!)).toBe('$__timeFilter(timestamp) AND duration_ns >= 2000000000');
    const bad = tracesSelect({ refId: 'A', queryType: 'traces', minDuration: '2 seconds' });
    expect(exprString(bad.where!)).toBe('$__timeFilter(timestamp)');
  });

  it('canonicalises the status', () => {
    expect(builderToHql({ refId: 'A', queryType: 'traces', status: 'Error' })).toContain("status_code = 'Error'");
  });
});

describe('metrics builder', () => {
  it('maps tiers to tables', () => {
    expect(metricTable('auto')).toBe('metrics');
    expect(metricTable('raw')).toBe('metrics');
    expect(metricTable('1m')).toBe('metrics_1min');
    expect(metricTable('5m')).toBe('metrics_5min');
    expect(metricTable('1h')).toBe('metrics_1hour');
    expect(metricTable('1d')).toBe('metrics_1day');
    expect(metricTable(undefined)).toBe('metrics');
  });

  it('quotes a metric name that is not a bare identifier in its alias', () => {
    const s = metricsSelect({ refId: 'A', queryType: 'metrics', metric: 'http.requests' });
    expect(selectString(s)).toContain('avg(value) AS "http.requests"');
  });
});

describe('keys', () => {
  it('turns dotted map keys and bracket references into map reads', () => {
    expect(exprString(keyExpr('attributes.http.method'))).toBe("attributes['http.method']");
    expect(exprString(keyExpr('resource.service.version'))).toBe("resource['service.version']");
    expect(exprString(keyExpr("attributes['it''s']"))).toBe("attributes['it''s']");
    expect(exprString(keyExpr('service'))).toBe('service');
    expect(exprString(keyExpr('weird key'))).toBe('"weird key"');
    expect(exprString(keyExpr('order'))).toBe('"order"');
  });
});

describe('formats and validation', () => {
  it('picks the default format per query type', () => {
    expect(defaultFormat('logs')).toBe('logs');
    expect(defaultFormat('traces')).toBe('table');
    expect(defaultFormat('traceId')).toBe('trace');
    expect(defaultFormat('metrics')).toBe('time_series');
    expect(defaultFormat('hql')).toBe('table');
  });

  it('reports what the backend would refuse', () => {
    expect(validateQuery({ refId: 'A', queryType: 'logs', severity: ['loud'] })).toEqual([
      'unknown severity "loud" (use trace, debug, info, warn, error or fatal)',
    ]);
    expect(validateQuery({ refId: 'A', queryType: 'traces', minDuration: '5 min' })[0]).toMatch(/not a duration/);
    expect(validateQuery({ refId: 'A', queryType: 'traceId', traceId: 'xyz' })).toEqual([
      'a trace id is 32 hex digits',
    ]);
    expect(validateQuery({ refId: 'A', queryType: 'metrics' })).toEqual(['choose a metric']);
    expect(validateQuery({ refId: 'A', queryType: 'metrics', metric: 'm' })).toEqual([]);
  });
});
