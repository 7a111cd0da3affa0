import {
  errorMessage,
  normalizeCatalog,
  parseRetention,
  serializeRetention,
  stringList,
  validateTtl,
} from './resources';

describe('validateTtl', () => {
  it('accepts whole days from 1 to 3650', () => {
    expect(validateTtl('1')).toBeUndefined();
    expect(validateTtl(3650)).toBeUndefined();
    expect(validateTtl('0')).toMatch(/between 1 and 3650/);
    expect(validateTtl('3651')).toMatch(/between 1 and 3650/);
    expect(validateTtl('1.5')).toMatch(/whole number/);
    expect(validateTtl('')).toMatch(/whole number/);
    expect(validateTtl('-3')).toMatch(/whole number/);
  });
});

describe('retention shapes', () => {
  it('reads and writes a list of policies', () => {
    const state = parseRetention({
      policies: [
        { data_type: 'logs', tier: 'raw', ttl_days: 30 },
        { dataType: 'logs', tier: '1h', ttlDays: 365 },
      ],
    });
    expect(state).toEqual({
      shape: 'list',
      policies: [
        { dataType: 'logs', tier: 'raw', ttlDays: 30 },
        { dataType: 'logs', tier: '1h', ttlDays: 365 },
      ],
    });
    expect(serializeRetention(state)).toEqual({
      policies: [
        { data_type: 'logs', tier: 'raw', ttl_days: 30 },
        { data_type: 'logs', tier: '1h', ttl_days: 365 },
      ],
    });
  });

  it('reads and writes the server shape: data types, and tiers keyed by table', () => {
    const raw = {
      logs: { data_type: 'logs', ttl_days: 30 },
      metrics: { data_type: 'metrics', ttl_days: 90 },
      traces: { data_type: 'traces', ttl_days: 30 },
      tiers: {
        metrics_1hour: { data_type: 'metrics', tier: 'metrics_1hour', ttl_days: 365 },
        logs_1day_counts: { data_type: 'logs', tier: 'logs_1day_counts', ttl_days: 730 },
      },
    };
    const state = parseRetention(raw);
    expect(state.shape).toBe('keyed');
    expect(state.policies).toEqual([
      { dataType: 'logs', tier: 'raw', ttlDays: 30 },
      { dataType: 'logs', tier: 'logs_1day_counts', ttlDays: 730 },
      { dataType: 'metrics', tier: 'raw', ttlDays: 90 },
      { dataType: 'metrics', tier: 'metrics_1hour', ttlDays: 365 },
      { dataType: 'traces', tier: 'raw', ttlDays: 30 },
    ]);
    expect(serializeRetention(state)).toEqual(raw);
  });

  it('places tiers that leave out their data type', () => {
    const state = parseRetention({
      metrics: { data_type: 'metrics', ttl_days: 90 },
      tiers: { metrics_1min: { ttl_days: 30 } },
    });
    expect(state.policies).toEqual([
      { dataType: 'metrics', tier: 'raw', ttlDays: 90 },
      { dataType: 'metrics', tier: 'metrics_1min', ttlDays: 30 },
    ]);
  });
});

describe('resource answers', () => {
  it('reads string lists bare or wrapped', () => {
    expect(stringList({ services: ['a', 'b'] }, 'services')).toEqual(['a', 'b']);
    expect(stringList(['x'], 'values')).toEqual(['x']);
    expect(stringList(null, 'values')).toEqual([]);
  });

  it('fills a partial catalog', () => {
    expect(normalizeCatalog({ tables: [{ name: 'logs' }] })).toEqual({
      tables: [{ name: 'logs', columns: [] }],
      functions: [],
      macros: [],
      keywords: undefined,
    });
  });

  it('extracts the backend message from a failed call', () => {
    expect(errorMessage({ data: { error: { code: 'bad_request', message: 'ttl_days out of range' } } })).toBe(
      'ttl_days out of range'
    );
    expect(errorMessage({ data: { message: 'Plugin unavailable' } })).toBe('Plugin unavailable');
    expect(errorMessage({ status: 502, statusText: 'Bad Gateway' })).toBe('502 Bad Gateway');
    expect(errorMessage(new Error('boom'))).toBe('boom');
  });
});
