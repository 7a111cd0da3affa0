import {
  and,
  attr,
  bin,
  col,
  countAll,
  dur,
  eq,
  exprString,
  float,
  fn,
  formatDuration,
  int,
  inList,
  not,
  parseGoDuration,
  quoteIdent,
  quoteString,
  selectString,
  str,
  timeFilter,
  timeGroup,
} from './ast';

describe('quoting', () => {
  it('doubles single quotes in string literals', () => {
    expect(quoteString("it's")).toBe("'it''s'");
    expect(quoteString("x' OR '1'='1")).toBe("'x'' OR ''1''=''1'");
    expect(quoteString('')).toBe("''");
  });

  it('quotes identifiers only when needed', () => {
    expect(quoteIdent('service')).toBe('service');
    expect(quoteIdent('from')).toBe('"from"');
    expect(quoteIdent('http.method')).toBe('"http.method"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent('1abc')).toBe('"1abc"');
  });
});

describe('durations', () => {
  it('prints with the largest exact unit', () => {
    expect(formatDuration(90 * 60e9)).toBe('90m');
    expect(formatDuration(250e6)).toBe('250ms');
    expect(formatDuration(1500e6)).toBe('1500ms');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(7 * 86400e9)).toBe('1w');
  });

  it('parses Go durations', () => {
    expect(parseGoDuration('250ms')).toBe(250e6);
    expect(parseGoDuration('1.5s')).toBe(1500e6);
    expect(parseGoDuration('1h30m')).toBe(5400e9);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('100')).toBeUndefined();
    expect(parseGoDuration('2d')).toBeUndefined();
    expect(parseGoDuration('')).toBeUndefined();
  });
});

describe('expression printing', () => {
  it('parenthesises by precedence like the Go printer', () => {
    const e = bin('AND', bin('OR', eq(col('a'), int(1)), eq(col('b'), int(2))), eq(col('c'), int(3)));
    expect(exprString(e)).toBe('(a = 1 OR b = 2) AND c = 3');
    expect(exprString(and(eq(col('a'), int(1)), eq(col('b'), int(2)))!)).toBe('a = 1 AND b = 2');
    expect(exprString(not(eq(col('a'), int(1))))).toBe('NOT a = 1');
    expect(exprString(bin('*', bin('+', col('a'), col('b')), col('c')))).toBe('(a + b) * c');
    expect(exprString({ kind: 'unary', op: '-', x: int(-5) })).toBe('-(-5)');
  });

  it('prints literals, calls, macros and attributes', () => {
    expect(exprString(float(0.95))).toBe('0.95');
    expect(exprString(float(1))).toBe('1.0');
    expect(exprString(dur(5 * 60e9))).toBe('5m');
    expect(exprString(fn('quantile', float(0.5), col('value')))).toBe('quantile(0.5, value)');
    expect(exprString(countAll())).toBe('count(*)');
    expect(exprString(attr('attributes', "it's"))).toBe("attributes['it''s']");
    expect(exprString(timeFilter())).toBe('$__timeFilter(timestamp)');
    expect(exprString(timeGroup())).toBe('$__timeGroup(timestamp, $__interval)');
    expect(exprString(inList(col('level'), [str('warn'), str('error')]))).toBe("level IN ('warn', 'error')");
    expect(exprString(inList(col('level'), [str('x')], true))).toBe("level NOT IN ('x')");
  });

  it('and() skips undefined parts', () => {
    expect(and()).toBeUndefined();
    expect(exprString(and(undefined, eq(col('a'), int(1)))!)).toBe('a = 1');
  });
});

describe('select printing', () => {
  it('prints every clause in order', () => {
    expect(
      selectString({
        distinct: true,
        items: [{ expr: col('service') }, { expr: countAll(), alias: 'n' }],
        from: 'logs',
        where: timeFilter(),
        groupBy: [col('service')],
        having: bin('>', countAll(), int(10)),
        orderBy: [{ expr: col('n'), desc: true }],
        limit: 5,
      })
    ).toBe(
      'SELECT DISTINCT service, count(*) AS n FROM logs WHERE $__timeFilter(timestamp) GROUP BY service HAVING count(*) > 10 ORDER BY n DESC LIMIT 5'
    );
  });
});
