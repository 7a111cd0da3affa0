import React, { useCallback, useMemo, useRef, useState } from 'react';
import { css, cx } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import { Catalog, HqlErrorPosition } from '../types';
import { complete, CompletionResult, Suggestion } from '../hql/completion';
import { offsetOf, Token, tokenize } from '../hql/lexer';

export interface HqlEditorProps {
  value: string;
  onChange: (value: string) => void;
  /** onRun is called on Shift+Enter. */
  onRun?: () => void;
  onBlur?: () => void;
  catalog?: Catalog;
  /** error is shown under the text and marked at its position. */
  error?: HqlErrorPosition;
  placeholder?: string;
  readOnly?: boolean;
  rows?: number;
  'aria-label'?: string;
}

const LINE_HEIGHT = 20;
const PADDING = 8;

const EMPTY_CATALOG: Catalog = { tables: [], functions: [], macros: [] };

/**
 * HqlEditor is a plain-text code editor for HQL: a textarea over a highlighted copy of its text,
 * with catalog-driven autocomplete (Ctrl+Space or typing), Shift+Enter to run, and the backend's
 * error marked at its line and column. It needs nothing beyond React, so it behaves the same in
 * Grafana, in tests and in a bare page.
 */
export function HqlEditor(props: HqlEditorProps) {
  const { value, onChange, onRun, onBlur, catalog, error, placeholder, readOnly } = props;
  const styles = useStyles2(getStyles);
  const textRef = useRef<HTMLTextAreaElement>(null);
  const preRef = useRef<HTMLPreElement>(null);
  const [completion, setCompletion] = useState<CompletionResult | undefined>();
  const [selected, setSelected] = useState(0);
  const [cursor, setCursor] = useState(0);
  const [scrollTop, setScrollTop] = useState(0);

  const errorOffset = error ? offsetOf(value, error.line, error.column) : -1;
  const tokens = useMemo(() => tokenize(value), [value]);

  const openCompletion = useCallback(
    (text: string, pos: number, force: boolean) => {
      const res = complete(text, pos, catalog ?? EMPTY_CATALOG);
      const typedWord = res.to > res.from;
      if (res.suggestions.length > 0 && (force || typedWord || /\bfrom\s+$/i.test(text.slice(0, pos)))) {
        setCompletion(res);
        setSelected(0);
      } else {
        setCompletion(undefined);
      }
    },
    [catalog]
  );

  const accept = (s: Suggestion) => {
    if (!completion) {
      return;
    }
    const next = value.slice(0, completion.from) + s.insertText + value.slice(completion.to);
    const pos = completion.from + s.insertText.length;
    onChange(next);
    setCompletion(undefined);
    setCursor(pos);
    requestAnimationFrame(() => {
      const el = textRef.current;
      if (el) {
        el.focus();
        el.setSelectionRange(pos, pos);
      }
    });
  };

  const onKeyDown = (e: React.KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && e.shiftKey) {
      e.preventDefault();
      setCompletion(undefined);
      onRun?.();
      return;
    }
    if (e.key === ' ' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      const pos = e.currentTarget.selectionStart ?? value.length;
      openCompletion(value, pos, true);
      return;
    }
    if (!completion) {
      return;
    }
    const n = completion.suggestions.length;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setSelected((selected + 1) % n);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setSelected((selected - 1 + n) % n);
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      accept(completion.suggestions[selected]);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      setCompletion(undefined);
    }
  };

  const onInput = (e: React.ChangeEvent<HTMLTextAreaElement>) => {
    const text = e.target.value;
    const pos = e.target.selectionStart ?? text.length;
    onChange(text);
    setCursor(pos);
    const typed = text.slice(Math.max(0, pos - 1), pos);
    if (/[A-Za-z0-9_$ ]/.test(typed)) {
      openCompletion(text, pos, false);
    } else {
      setCompletion(undefined);
    }
  };

  const syncScroll = () => {
    if (preRef.current && textRef.current) {
      preRef.current.scrollTop = textRef.current.scrollTop;
      preRef.current.scrollLeft = textRef.current.scrollLeft;
      setScrollTop(textRef.current.scrollTop);
    }
  };

  const lines = value.split('\n').length;
  const rows = Math.max(props.rows ?? 3, Math.min(lines, 20));
  const height = rows * LINE_HEIGHT + 2 * PADDING;

  // Where the suggestion list opens: under the word being completed.
  const anchor = completion ? completion.from : cursor;
  const beforeAnchor = value.slice(0, anchor);
  const anchorLine = beforeAnchor.split('\n').length;
  const anchorCol = anchor - (beforeAnchor.lastIndexOf('\n') + 1);

  return (
    <div className={styles.wrapper}>
      <div className={styles.editor} style={{ height }}>
        <pre ref={preRef} className={cx(styles.layer, styles.highlight)} aria-hidden="true">
          {renderTokens(tokens, errorOffset, styles, error?.message)}
          {'\n'}
        </pre>
        <textarea
          ref={textRef}
          className={cx(styles.layer, styles.input)}
          value={value}
          placeholder={placeholder}
          readOnly={readOnly}
          spellCheck={false}
          autoCapitalize="off"
          autoComplete="off"
          aria-label={props['aria-label'] ?? 'HQL query'}
          aria-invalid={error ? true : undefined}
          aria-autocomplete="list"
          aria-expanded={completion ? true : false}
          onChange={onInput}
          onKeyDown={onKeyDown}
          onScroll={syncScroll}
          onClick={(e) => setCursor(e.currentTarget.selectionStart ?? 0)}
          onBlur={() => {
            // Let a click on a suggestion land before the list closes.
            setTimeout(() => setCompletion(undefined), 150);
            onBlur?.();
          }}
        />
        {completion && (
          <ul
            role="listbox"
            aria-label="HQL suggestions"
            className={styles.suggestions}
            style={{
              top: anchorLine * LINE_HEIGHT + PADDING - scrollTop,
              left: `calc(${anchorCol}ch + ${PADDING}px)`,
            }}
          >
            {completion.suggestions.map((s, i) => (
              <li
                key={s.kind + s.label}
                role="option"
                aria-selected={i === selected}
                className={cx(styles.suggestion, i === selected && styles.selected)}
                onMouseDown={(e) => {
                  e.preventDefault();
                  accept(s);
                }}
              >
                <span className={styles.kind}>{s.kind}</span>
                <span className={styles.label}>{s.label}</span>
                {s.detail && <span className={styles.detail}>{s.detail}</span>}
              </li>
            ))}
          </ul>
        )}
      </div>
      {error && (
        <div className={styles.error} role="alert">
          Line {error.line}, column {error.column}: {error.message}
        </div>
      )}
      {!readOnly && <div className={styles.help}>Shift+Enter to run · Ctrl+Space for suggestions</div>}
    </div>
  );
}

function renderTokens(tokens: Token[], errorOffset: number, styles: ReturnType<typeof getStyles>, msg?: string) {
  let marked = errorOffset < 0;
  const out: React.ReactNode[] = [];
  for (const t of tokens) {
    const cls = styles.token[t.kind];
    if (!marked && t.kind !== 'space' && t.end > errorOffset) {
      marked = true;
      out.push(
        <span key={t.start} className={cx(cls, styles.errorMark)} data-testid="hql-error-mark" title={msg}>
          {t.text}
        </span>
      );
      continue;
    }
    out.push(
      <span key={t.start} className={cls}>
        {t.text}
      </span>
    );
  }
  if (!marked) {
    // The error is at the end of the query (e.g. a missing FROM): mark the spot itself.
    out.push(
      <span key="eof" className={styles.errorMark} data-testid="hql-error-mark" title={msg}>
        {' '}
      </span>
    );
  }
  return out;
}

const getStyles = (theme: GrafanaTheme2) => {
  const font = css({
    fontFamily: theme.typography.fontFamilyMonospace,
    fontSize: theme.typography.bodySmall.fontSize,
    lineHeight: `${LINE_HEIGHT}px`,
    padding: PADDING,
    margin: 0,
    whiteSpace: 'pre-wrap',
    overflowWrap: 'break-word',
    tabSize: 2,
  });
  return {
    wrapper: css({ width: '100%', position: 'relative' }),
    editor: css({
      position: 'relative',
      border: `1px solid ${theme.components.input.borderColor}`,
      borderRadius: theme.shape.radius.default,
      background: theme.components.input.background,
      minHeight: 3 * LINE_HEIGHT + 2 * PADDING,
      '&:focus-within': { outline: `2px solid ${theme.colors.primary.main}`, outlineOffset: 1 },
    }),
    layer: cx(
      font,
      css({
        position: 'absolute',
        inset: 0,
        width: '100%',
        height: '100%',
        overflow: 'auto',
        border: 'none',
        boxSizing: 'border-box',
      })
    ),
    highlight: css({ color: theme.colors.text.primary, pointerEvents: 'none', background: 'transparent' }),
    input: css({
      color: 'transparent',
      caretColor: theme.colors.text.primary,
      background: 'transparent',
      resize: 'none',
      outline: 'none',
      '&::placeholder': { color: theme.colors.text.disabled },
      '&::selection': { background: theme.colors.action.selected, color: 'transparent' },
    }),
    token: {
      keyword: css({ color: theme.colors.primary.text, fontWeight: theme.typography.fontWeightMedium }),
      ident: css({ color: theme.colors.text.primary }),
      quoted: css({ color: theme.colors.text.primary }),
      string: css({ color: theme.visualization.getColorByName('green') }),
      number: css({ color: theme.visualization.getColorByName('orange') }),
      duration: css({ color: theme.visualization.getColorByName('orange') }),
      macro: css({ color: theme.visualization.getColorByName('purple') }),
      variable: css({ color: theme.visualization.getColorByName('purple'), fontStyle: 'italic' }),
      operator: css({ color: theme.colors.text.secondary }),
      comment: css({ color: theme.colors.text.disabled, fontStyle: 'italic' }),
      space: css({}),
      error: css({ color: theme.colors.error.text }),
    },
    errorMark: css({
      textDecoration: `underline wavy ${theme.colors.error.main}`,
      textDecorationSkipInk: 'none',
      background: theme.colors.error.transparent,
    }),
    error: css({
      color: theme.colors.error.text,
      fontSize: theme.typography.bodySmall.fontSize,
      marginTop: theme.spacing(0.5),
    }),
    help: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
    suggestions: css({
      position: 'absolute',
      zIndex: theme.zIndex.dropdown,
      listStyle: 'none',
      margin: 0,
      padding: theme.spacing(0.5, 0),
      maxHeight: 240,
      minWidth: 280,
      maxWidth: 560,
      overflowY: 'auto',
      background: theme.colors.background.elevated,
      border: `1px solid ${theme.colors.border.weak}`,
      boxShadow: theme.shadows.z3,
      borderRadius: theme.shape.radius.default,
    }),
    suggestion: css({
      display: 'flex',
      gap: theme.spacing(1),
      padding: theme.spacing(0.25, 1),
      cursor: 'pointer',
      fontFamily: theme.typography.fontFamilyMonospace,
      fontSize: theme.typography.bodySmall.fontSize,
      whiteSpace: 'nowrap',
    }),
    selected: css({ background: theme.colors.action.selected }),
    kind: css({ color: theme.colors.text.secondary, width: 56, flexShrink: 0 }),
    label: css({ color: theme.colors.text.primary }),
    detail: css({ color: theme.colors.text.secondary, overflow: 'hidden', textOverflow: 'ellipsis' }),
  };
};
