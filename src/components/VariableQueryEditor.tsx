import React, { useEffect, useState } from 'react';
import { QueryEditorProps, SelectableValue } from '@grafana/data';
import { InlineField, Input, RadioButtonGroup, Stack } from '@grafana/ui';

import type { DataSource } from '../datasource';
import { Catalog, HeimsightOptions, HeimsightQuery, HeimsightVariableQuery, VariableQueryType } from '../types';
import { HqlEditor } from './HqlEditor';

type Props = QueryEditorProps<DataSource, HeimsightQuery, HeimsightOptions, HeimsightVariableQuery>;

const TYPES: Array<SelectableValue<VariableQueryType>> = [
  { label: 'Column values', value: 'values', description: 'Distinct values of a column in the time range' },
  { label: 'Services', value: 'services' },
  { label: 'Metric names', value: 'metricNames' },
  { label: 'HQL', value: 'hql', description: 'The first column of an HQL query' },
];

const RAW_TABLES = ['logs', 'spans', 'metrics'];

export function VariableQueryEditor({ query, onChange, datasource }: Props) {
  const q: HeimsightVariableQuery = { ...query, variableType: query.variableType ?? 'values' };
  const [catalog, setCatalog] = useState<Catalog | undefined>();
  useEffect(() => {
    datasource
      .getCatalog()
      .then(setCatalog)
      .catch(() => setCatalog(undefined));
  }, [datasource]);

  const table = q.table || 'logs';
  const columns = catalog?.tables.find((t) => t.name === table)?.columns ?? [];

  return (
    <Stack direction="column" gap={1}>
      <InlineField label="Query type" labelWidth={16}>
        <RadioButtonGroup<VariableQueryType>
          options={TYPES}
          value={q.variableType}
          onChange={(v) => onChange({ ...q, variableType: v })}
        />
      </InlineField>
      {q.variableType === 'values' && (
        <Stack direction="row" gap={1}>
          <InlineField label="Table" labelWidth={16}>
            <RadioButtonGroup<string>
              options={RAW_TABLES.map((t) => ({ label: t, value: t }))}
              value={table}
              onChange={(v) => onChange({ ...q, table: v })}
            />
          </InlineField>
          <InlineField label="Column" labelWidth={12} tooltip="A column, or attributes.<key> / resource.<key>">
            <Input
              aria-label="Column"
              width={32}
              list="heimsight-variable-columns"
              value={q.column ?? ''}
              placeholder="service"
              onChange={(e) => onChange({ ...q, column: e.currentTarget.value })}
            />
          </InlineField>
          <datalist id="heimsight-variable-columns">
            {columns.map((c) => (
              <option key={c.name} value={c.name} />
            ))}
          </datalist>
        </Stack>
      )}
      {q.variableType === 'hql' && (
        <HqlEditor
          aria-label="Variable HQL query"
          value={q.hql ?? ''}
          catalog={catalog}
          placeholder="SELECT DISTINCT service FROM logs WHERE $__timeFilter(timestamp)"
          onChange={(hql) => onChange({ ...q, hql })}
        />
      )}
    </Stack>
  );
}
