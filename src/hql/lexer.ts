// A forgiving HQL tokenizer for the editor: syntax highlighting and autocomplete context. It follows
// the lexical rules of pkg/hql/lexer.go but never fails: text it cannot read becomes an "error"
// token, and an unterminated string or comment runs to the end of the input.

import { isKeyword } from './ast';

export type TokenKind =
  | 'keyword'
  | 'ident'
  | 'quoted'
  | 'string'
  | 'number'
  | 'duration'
  | 'macro'
  | 'variable'
  | 'operator'
  | 'comment'
  | 'space'
  | 'error';

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

const OPERATORS = [
  '<>',
  '!=',
  '<=',
  '>=',
  '=~',
  '!~',
  '||',
  '(',
  ')',
  '[',
  ']',
  ',',
  ';',
  '*',
  '+',
  '-',
  '/',
  '%',
  '=',
  '<',
  '>',
];

const isIdentStart = (c: string) => c === '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isIdentPart = (c: string) => isIdentStart(c) || (c >= '0' && c <= '9');
const isDigit = (c: string) => c >= '0' && c <= '9';

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number) => {
    out.push({ kind, text: src.slice(i, end), start: i, end });
    i = end;
  };
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < src.length && /\s/.test(src[j])) {
        j++;
      }
      push('space', j);
    } else if (c === '-' && src[i + 1] === '-') {
      const nl = src.indexOf('\n', i);
      push('comment', nl < 0 ? src.length : nl);
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      push('comment', end < 0 ? src.length : end + 2);
    } else if (isIdentStart(c)) {
      let j = i + 1;
      while (j < src.length && isIdentPart(src[j])) {
        j++;
      }
      push(isKeyword(src.slice(i, j)) ? 'keyword' : 'ident', j);
    } else if (c === '$') {
      let j = i + 1;
      if (src[j] === '{') {
        const close = src.indexOf('}', j);
        push('variable', close < 0 ? src.length : close + 1);
        continue;
      }
      while (j < src.length && isIdentPart(src[j])) {
        j++;
      }
      if (j === i + 1) {
        push('error', j);
      } else {
        push(src.startsWith('$__', i) ? 'macro' : 'variable', j);
      }
    } else if (isDigit(c) || (c === '.' && isDigit(src[i + 1] ?? ''))) {
      let j = i;
      while (j < src.length && (isDigit(src[j]) || src[j] === '.')) {
        j++;
      }
      if ((src[j] === 'e' || src[j] === 'E') && /[0-9+-]/.test(src[j + 1] ?? '')) {
        j += 2;
        while (j < src.length && isDigit(src[j])) {
          j++;
        }
        push('number', j);
      } else if (j < src.length && (isIdentStart(src[j]) || src[j] === 'µ')) {
        while (j < src.length && (isIdentPart(src[j]) || src[j] === 'µ')) {
          j++;
        }
        push('duration', j);
      } else {
        push('number', j);
      }
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= src.length) {
          break;
        }
        if (src[j] === c) {
          if (src[j + 1] === c) {
            j += 2;
            continue;
          }
          j++;
          break;
        }
        j++;
      }
      push(c === "'" ? 'string' : 'quoted', j);
    } else {
      const op = OPERATORS.find((o) => src.startsWith(o, i));
      push(op ? 'operator' : 'error', i + (op ? op.length : 1));
    }
  }
  return out;
}

/** offsetOf converts a 1-based line and column (bytes, as the backend reports them) to an offset. */
export function offsetOf(src: string, line: number, column: number): number {
  let off = 0;
  for (let l = 1; l < line; l++) {
    const nl = src.indexOf('\n', off);
    if (nl < 0) {
      return src.length;
    }
    off = nl + 1;
  }
  // Columns count UTF-8 bytes; walk characters until that many bytes are consumed.
  let bytes = 1;
  while (off < src.length && bytes < column && src[off] !== '\n') {
    const cp = src.codePointAt(off) ?? 0;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    off += cp >= 0x10000 ? 2 : 1;
  }
  return off;
}

/** parseErrorPosition reads "line L, column C: message" as the backend's HQL errors are written. */
export function parseErrorPosition(message: string): { line: number; column: number; message: string } | undefined {
  const m = /line (\d+), column (\d+): (.*)$/s.exec(message);
  if (!m) {
    return undefined;
  }
  return { line: parseInt(m[1], 10), column: parseInt(m[2], 10), message: m[3] };
}
