// Autocomplete for the HQL editor: what to offer at the cursor, from the backend's catalog.

import { Catalog } from '../types';
import { KEYWORDS } from './ast';
import { tokenize } from './lexer';

export type SuggestionKind = 'table' | 'column' | 'function' | 'macro' | 'keyword';

export interface Suggestion {
  label: string;
  kind: SuggestionKind;
  detail?: string;
  /** insertText replaces the word at the cursor. */
  insertText: string;
}

export interface CompletionResult {
  /** from and to delimit the word being completed. */
  from: number;
  to: number;
  suggestions: Suggestion[];
}

const MAX_SUGGESTIONS = 50;

// wordAt finds the identifier or $__macro under (ending at) the cursor.
function wordAt(text: string, cursor: number): { from: number; word: string } {
  let from = cursor;
  while (from > 0 && /[A-Za-z0-9_$]/.test(text[from - 1])) {
    from--;
  }
  return { from, word: text.slice(from, cursor) };
}

function tablesInQuery(text: string, catalog: Catalog): string[] {
  const toks = tokenize(text).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const out: string[] = [];
  toks.forEach((t, i) => {
    if (t.kind === 'keyword' && t.text.toUpperCase() === 'FROM' && toks[i + 1]) {
      const name = toks[i + 1].text.replace(/^["`]|["`]$/g, '');
      if (catalog.tables.some((tb) => tb.name.toLowerCase() === name.toLowerCase())) {
        out.push(name.toLowerCase());
      }
    }
  });
  return out;
}

/** complete returns the suggestions for the cursor position, best first. */
export function complete(text: string, cursor: number, catalog: Catalog): CompletionResult {
  const { from, word } = wordAt(text, cursor);
  const before = tokenize(text.slice(0, from)).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const prev = before[before.length - 1];
  const inString = prev && (prev.kind === 'string' || prev.kind === 'quoted') && !/['"`]$/.test(prev.text.slice(1));
  if (inString || (prev && prev.kind === 'comment')) {
    return { from, to: cursor, suggestions: [] };
  }

  let candidates: Suggestion[] = [];
  const afterFrom = prev && prev.kind === 'keyword' && prev.text.toUpperCase() === 'FROM';
  if (word.startsWith('$')) {
    candidates = catalog.macros.map((m) => ({
      label: m.name,
      kind: 'macro',
      detail: m.signature ?? m.doc,
      insertText: m.name,
    }));
  } else if (afterFrom) {
    candidates = catalog.tables.map((t) => ({
      label: t.name,
      kind: 'table',
      detail: t.tier && !t.materialized ? `${t.doc ?? 'tier'} (not built yet)` : t.doc,
      insertText: t.name,
    }));
  } else {
    const used = tablesInQuery(text, catalog);
    const tables = used.length > 0 ? catalog.tables.filter((t) => used.includes(t.name.toLowerCase())) : catalog.tables;
    const seen = new Set<string>();
    for (const t of tables) {
      for (const c of t.columns) {
        if (!seen.has(c.name)) {
          seen.add(c.name);
          candidates.push({
            label: c.name,
            kind: 'column',
            detail: `${c.type}${used.length > 0 ? '' : ' · ' + t.name}${c.doc ? ' — ' + c.doc : ''}`,
            insertText: c.name,
          });
        }
      }
    }
    for (const f of catalog.functions) {
      candidates.push({ label: f.name, kind: 'function', detail: f.signature ?? f.doc, insertText: f.name + '(' });
    }
    if (before.length === 0 || word.length > 0) {
      for (const k of catalog.keywords ?? KEYWORDS) {
        candidates.push({ label: k, kind: 'keyword', insertText: k });
      }
    }
    if (word === '' && before.length > 0) {
      for (const m of catalog.macros) {
        candidates.push({ label: m.name, kind: 'macro', detail: m.signature ?? m.doc, insertText: m.name });
      }
    }
  }

  const w = word.toLowerCase();
  const starts = candidates.filter((c) => c.label.toLowerCase().startsWith(w));
  const contains =
    w.length > 1
      ? candidates.filter((c) => !c.label.toLowerCase().startsWith(w) && c.label.toLowerCase().includes(w))
      : [];
  const suggestions = [...starts, ...contains].filter((c) => c.label !== word).slice(0, MAX_SUGGESTIONS);
  return { from, to: cursor, suggestions };
}
