import React from 'react';
import { Button, Combobox, IconButton, Input, Stack } from '@grafana/ui';

import { FILTER_OPERATORS } from '../hql/builders';
import { Filter } from '../types';

interface Props {
  filters: Filter[];
  onChange: (filters: Filter[]) => void;
  /** onCommit runs the query after a change that is complete (blur, operator, removal). */
  onCommit: () => void;
  keyPlaceholder?: string;
}

const OPERATOR_OPTIONS = FILTER_OPERATORS.map((op) => ({ label: op, value: op }));

/** FiltersEditor edits a list of key / operator / value conditions. */
export function FiltersEditor({ filters, onChange, onCommit, keyPlaceholder }: Props) {
  const update = (i: number, patch: Partial<Filter>) => {
    onChange(filters.map((f, j) => (j === i ? { ...f, ...patch } : f)));
  };
  return (
    <Stack direction="column" gap={0.5}>
      {filters.map((f, i) => (
        <Stack key={i} direction="row" gap={0.5} alignItems="center">
          <Input
            aria-label={`Filter ${i + 1} key`}
            width={28}
            value={f.key}
            placeholder={keyPlaceholder ?? 'attributes.http.method'}
            onChange={(e) => update(i, { key: e.currentTarget.value })}
            onBlur={onCommit}
          />
          <Combobox<string>
            id={`heimsight-filter-op-${i}`}
            width={14}
            options={OPERATOR_OPTIONS}
            value={f.operator || '='}
            onChange={(v) => {
              onChange(filters.map((g, j) => (j === i ? { ...g, operator: v.value ?? '=' } : g)));
              onCommit();
            }}
          />
          <Input
            aria-label={`Filter ${i + 1} value`}
            width={28}
            value={f.operator === '=|' || f.operator === '!=|' ? (f.values ?? [f.value]).join(', ') : f.value}
            placeholder={f.operator === '=|' || f.operator === '!=|' ? 'a, b, c' : 'value'}
            onChange={(e) => {
              const v = e.currentTarget.value;
              if (f.operator === '=|' || f.operator === '!=|') {
                update(i, { value: '', values: v.split(',').map((s) => s.trim()) });
              } else {
                update(i, { value: v, values: undefined });
              }
            }}
            onBlur={onCommit}
          />
          <IconButton
            name="trash-alt"
            aria-label={`Remove filter ${i + 1}`}
            tooltip={`Remove filter ${i + 1}`}
            onClick={() => {
              onChange(filters.filter((_, j) => j !== i));
              onCommit();
            }}
          />
        </Stack>
      ))}
      <div>
        <Button
          size="sm"
          variant="secondary"
          icon="plus"
          onClick={() => onChange([...filters, { key: '', operator: '=', value: '' }])}
        >
          Add filter
        </Button>
      </div>
    </Stack>
  );
}
