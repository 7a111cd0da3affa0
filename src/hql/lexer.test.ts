import { offsetOf, parseErrorPosition, tokenize } from './lexer';
import { complete } from './completion';
import { testCatalog } from '../testutil';

describe('tokenize', () => {
  it('classifies every piece of a query and covers the whole text', () => {
    const src =
      "SELECT count(*) AS n FROM logs WHERE body CONTAINS 'it''s' AND $__timeFilter(timestamp) -- note\n AND d > 5m AND x = $svc";
    const toks = tokenize(src);
    expect(toks.map((t) => t.text).join('')).toBe(src);
    const kinds = Object.fromEntries(toks.filter((t) => t.kind !== 'space').map((t) => [t.text, t.kind]));
    expect(kinds.SELECT).toBe('keyword');
    expect(kinds.count).toBe('ident');
    expect(kinds["'it''s'"]).toBe('string');
    expect(kinds.$__timeFilter).toBe('macro');
    expect(kinds['-- note']).toBe('comment');
    expect(kinds['5m']).toBe('duration');
    expect(kinds.$svc).toBe('variable');
    expect(kinds['>']).toBe('operator');
  });

  it('never fails on broken input', () => {
    const toks = tokenize("SELECT 'unterminated /* and ` and ©");
    expect(toks.map((t) => t.text).join('')).toBe("SELECT 'unterminated /* and ` and ©");
    expect(tokenize('a ©').pop()!.kind).toBe('error');
  });
});

describe('error positions', () => {
  it('reads the backend message', () => {
    expect(parseErrorPosition("HQL error at line 2, column 6: unknown table 'lgs'")).toEqual({
      line: 2,
      column: 6,
      message: "unknown table 'lgs'",
    });
    expect(parseErrorPosition('no position')).toBeUndefined();
  });

  it('turns line and byte column into an offset', () => {
    expect(offsetOf('SELECT *\nFROM lgs', 2, 6)).toBe(14);
    expect(offsetOf('é = x', 1, 4)).toBe(2);
    expect(offsetOf('a', 5, 1)).toBe(1);
  });
});

describe('complete', () => {
  const labels = (text: string, cursor = text.length) =>
    complete(text, cursor, testCatalog).suggestions.map((s) => s.label);

  it('offers tables after FROM, with tiers marked', () => {
    expect(labels('SELECT * FROM ')).toEqual(['logs', 'spans', 'metrics', 'logs_1hour_counts']);
    expect(labels('SELECT * FROM sp')).toEqual(['spans']);
    expect(
      complete('SELECT * FROM l', 15, testCatalog).suggestions.find((s) => s.label === 'logs_1hour_counts')?.detail
    ).toMatch(/not built yet/);
  });

  it('offers the columns of the table in FROM, then functions and keywords', () => {
    const got = labels('SELECT s FROM spans', 8);
    expect(got).toEqual(['service', 'SELECT']);
    expect(labels('SELECT b FROM logs', 8)).toEqual(['body']);
    expect(labels('SELECT lo FROM logs', 9)).toEqual(['lower']);
  });

  it('offers macros after $', () => {
    expect(labels('SELECT * FROM logs WHERE $__t')).toEqual(['$__timeFilter']);
    expect(labels('SELECT * FROM logs WHERE $')).toEqual(['$__timeFilter', '$__interval']);
  });

  it('inserts a call with its parenthesis and reports the replaced range', () => {
    const r = complete('SELECT cou', 10, testCatalog);
    expect(r.from).toBe(7);
    expect(r.suggestions[0]).toMatchObject({ label: 'count', insertText: 'count(' });
  });

  it('offers nothing inside a string', () => {
    expect(labels("SELECT * FROM logs WHERE body = 'se")).toEqual([]);
  });
});
