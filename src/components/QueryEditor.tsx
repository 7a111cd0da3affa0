import React, { useEffect, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, QueryEditorProps, SelectableValue } from '@grafana/data';
import {
  Alert,
  Button,
  InlineField,
  Combobox,
  ComboboxOption,
  InlineFieldRow,
  Input,
  MultiCombobox,
  RadioButtonGroup,
  Stack,
  useStyles2,
} from '@grafana/ui';

import type { DataSource } from '../datasource';
import {
  AGGREGATIONS,
  builderToHql,
  DEFAULT_LOGS_LIMIT,
  DEFAULT_TRACES_LIMIT,
  defaultFormat,
  SEVERITIES,
  TIERS,
  validateQuery,
} from '../hql/builders';
import { parseErrorPosition } from '../hql/lexer';
import { Catalog, Filter, HeimsightOptions, HeimsightQuery, QueryFormat, QueryType, SpanStatus, Tier } from '../types';
import { FiltersEditor } from './FiltersEditor';
import { HqlEditor } from './HqlEditor';

type Props = QueryEditorProps<DataSource, HeimsightQuery, HeimsightOptions>;

const MODES: Array<SelectableValue<QueryType>> = [
  { label: 'Logs', value: 'logs' },
  { label: 'Traces', value: 'traces' },
  { label: 'Trace ID', value: 'traceId' },
  { label: 'Metrics', value: 'metrics' },
  { label: 'HQL', value: 'hql' },
];

const FORMATS: Array<ComboboxOption<QueryFormat>> = [
  { label: 'Table', value: 'table' },
  { label: 'Time series', value: 'time_series' },
  { label: 'Logs', value: 'logs' },
  { label: 'Trace', value: 'trace' },
];

const STATUSES: Array<SelectableValue<SpanStatus>> = [
  { label: 'Any', value: '' },
  { label: 'Unset', value: 'Unset' },
  { label: 'Ok', value: 'Ok' },
  { label: 'Error', value: 'Error' },
];

const LABEL_WIDTH = 14;

function matching(list: string[], input: string): Array<ComboboxOption<string>> {
  const needle = input.trim().toLowerCase();
  return list.filter((v) => v.toLowerCase().includes(needle)).map((v) => ({ label: v, value: v }));
}

export function QueryEditor(props: Props) {
  const { query, onChange, onRunQuery, datasource, data, range } = props;
  const styles = useStyles2(getStyles);
  const queryType: QueryType = query.queryType ?? 'hql';
  const [catalog, setCatalog] = useState<Catalog | undefined>();

  useEffect(() => {
    let live = true;
    datasource
      .getCatalog()
      .then((c) => live && setCatalog(c))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [datasource]);

  const builder = queryType !== 'hql';

  // Options are loaded when a list opens, filtered by what the user typed.
  const loadServices = async (input: string): Promise<Array<ComboboxOption<string>>> => {
    const list = await datasource.getServices(range).catch(() => []);
    return matching(list, input);
  };
  const loadMetrics = async (input: string): Promise<Array<ComboboxOption<string>>> => {
    const list = await datasource.getMetricNames(query.service || undefined, range).catch(() => []);
    return matching(list, input);
  };

  const change = (patch: Partial<HeimsightQuery>, run = false) => {
    onChange({ ...query, ...patch });
    if (run) {
      onRunQuery();
    }
  };

  const setMode = (mode: QueryType) => {
    const format = defaultFormat(mode);
    onChange({ ...query, queryType: mode, format });
    onRunQuery();
  };

  const editAsHql = () => {
    onChange({
      ...query,
      queryType: 'hql',
      hql: builderToHql(query),
      format: query.format ?? defaultFormat(queryType),
    });
    onRunQuery();
  };

  const queryError = useMemo(() => {
    const errs = data?.errors ?? [];
    const mine = errs.find((e) => !e.refId || e.refId === query.refId);
    return mine?.message;
  }, [data, query.refId]);
  const position = queryError ? parseErrorPosition(queryError) : undefined;
  const problems = builder ? validateQuery(query) : [];
  const preview = builder ? builderToHql(query) : '';

  const serviceField = (
    <InlineField label="Service" labelWidth={LABEL_WIDTH}>
      <Combobox<string>
        id={`heimsight-service-${query.refId}`}
        width={30}
        isClearable
        createCustomValue
        placeholder="All services"
        options={loadServices}
        value={query.service || null}
        onChange={(v) => change({ service: v?.value ?? '' }, true)}
      />
    </InlineField>
  );
  const filtersField = (
    <InlineField label="Filters" labelWidth={LABEL_WIDTH} tooltip="Columns or attributes.<key> / resource.<key>">
      <FiltersEditor
        filters={query.filters ?? []}
        onChange={(filters: Filter[]) => change({ filters })}
        onCommit={onRunQuery}
      />
    </InlineField>
  );
  const limitField = (def: number) => (
    <InlineField label="Limit" labelWidth={8}>
      <Input
        aria-label="Limit"
        type="number"
        width={12}
        value={query.limit ?? ''}
        placeholder={String(def)}
        onChange={(e) => {
          const v = e.currentTarget.value;
          change({ limit: v === '' ? undefined : Number(v) });
        }}
        onBlur={onRunQuery}
      />
    </InlineField>
  );

  return (
    <Stack direction="column" gap={1}>
      <InlineFieldRow>
        <InlineField label="Query" labelWidth={LABEL_WIDTH}>
          <RadioButtonGroup<QueryType> options={MODES} value={queryType} onChange={setMode} />
        </InlineField>
        <InlineField label="Format" labelWidth={8}>
          <Combobox<QueryFormat>
            id={`heimsight-format-${query.refId}`}
            width={16}
            options={FORMATS}
            value={query.format ?? defaultFormat(queryType)}
            onChange={(v) => change({ format: v.value }, true)}
          />
        </InlineField>
      </InlineFieldRow>

      {queryType === 'hql' && (
        <HqlEditor
          value={query.hql ?? ''}
          catalog={catalog}
          error={position ? { ...position } : undefined}
          placeholder="SELECT service, count(*) FROM logs WHERE $__timeFilter(timestamp) GROUP BY service"
          onChange={(hql) => change({ hql })}
          onRun={onRunQuery}
          onBlur={onRunQuery}
        />
      )}

      {queryType === 'logs' && (
        <>
          <InlineFieldRow>
            {serviceField}
            <InlineField label="Severity" labelWidth={10}>
              <MultiCombobox<string>
                id={`heimsight-severity-${query.refId}`}
                width="auto"
                minWidth={24}
                maxWidth={60}
                placeholder="Any"
                options={SEVERITIES.map((s) => ({ label: s, value: s }))}
                value={query.severity ?? []}
                onChange={(v) => change({ severity: v.map((o) => o.value).filter(Boolean) }, true)}
              />
            </InlineField>
          </InlineFieldRow>
          <InlineFieldRow>
            <InlineField label="Search" labelWidth={LABEL_WIDTH} tooltip="Case-insensitive text in the log body">
              <Input
                aria-label="Search"
                width={50}
                value={query.search ?? ''}
                placeholder="text in the message"
                onChange={(e) => change({ search: e.currentTarget.value })}
                onBlur={onRunQuery}
                onKeyDown={(e) => e.key === 'Enter' && onRunQuery()}
              />
            </InlineField>
            {limitField(DEFAULT_LOGS_LIMIT)}
          </InlineFieldRow>
          {filtersField}
        </>
      )}

      {queryType === 'traces' && (
        <>
          <InlineFieldRow>
            {serviceField}
            <InlineField label="Operation" labelWidth={10}>
              <Input
                aria-label="Operation"
                width={30}
                value={query.operation ?? ''}
                placeholder="span name"
                onChange={(e) => change({ operation: e.currentTarget.value })}
                onBlur={onRunQuery}
              />
            </InlineField>
          </InlineFieldRow>
          <InlineFieldRow>
            <InlineField label="Duration" labelWidth={LABEL_WIDTH} tooltip="Go durations: 250ms, 1.5s, 2m">
              <Stack direction="row" gap={0.5}>
                <Input
                  aria-label="Minimum duration"
                  width={12}
                  value={query.minDuration ?? ''}
                  placeholder="min"
                  onChange={(e) => change({ minDuration: e.currentTarget.value })}
                  onBlur={onRunQuery}
                />
                <Input
                  aria-label="Maximum duration"
                  width={12}
                  value={query.maxDuration ?? ''}
                  placeholder="max"
                  onChange={(e) => change({ maxDuration: e.currentTarget.value })}
                  onBlur={onRunQuery}
                />
              </Stack>
            </InlineField>
            <InlineField label="Status" labelWidth={8}>
              <RadioButtonGroup<SpanStatus>
                options={STATUSES}
                value={query.status ?? ''}
                onChange={(status) => change({ status }, true)}
              />
            </InlineField>
            {limitField(DEFAULT_TRACES_LIMIT)}
          </InlineFieldRow>
          {filtersField}
        </>
      )}

      {queryType === 'traceId' && (
        <InlineField label="Trace ID" labelWidth={LABEL_WIDTH}>
          <Input
            aria-label="Trace ID"
            width={50}
            value={query.traceId ?? ''}
            placeholder="32 hex digits"
            onChange={(e) => change({ traceId: e.currentTarget.value })}
            onBlur={onRunQuery}
            onKeyDown={(e) => e.key === 'Enter' && onRunQuery()}
          />
        </InlineField>
      )}

      {queryType === 'metrics' && (
        <>
          <InlineFieldRow>
            <InlineField label="Metric" labelWidth={LABEL_WIDTH}>
              <Combobox<string>
                id={`heimsight-metric-${query.refId}`}
                width={40}
                createCustomValue
                placeholder="Choose a metric"
                options={loadMetrics}
                value={query.metric || null}
                onChange={(v) => change({ metric: v.value }, true)}
              />
            </InlineField>
            {serviceField}
          </InlineFieldRow>
          <InlineFieldRow>
            <InlineField label="Aggregation" labelWidth={LABEL_WIDTH}>
              <RadioButtonGroup
                options={AGGREGATIONS.map((a) => ({ label: a, value: a }))}
                value={query.aggregation ?? 'avg'}
                onChange={(aggregation) => change({ aggregation }, true)}
              />
            </InlineField>
            <InlineField label="Tier" labelWidth={8} tooltip="auto lets the server pick the coarsest tier that fits">
              <RadioButtonGroup<Tier>
                options={TIERS.map((t) => ({ label: t, value: t }))}
                value={query.tier ?? 'auto'}
                onChange={(tier) => change({ tier }, true)}
              />
            </InlineField>
          </InlineFieldRow>
          <InlineField label="Group by" labelWidth={LABEL_WIDTH} tooltip="service, or attributes.<key>">
            <MultiCombobox<string>
              id={`heimsight-groupby-${query.refId}`}
              width="auto"
              minWidth={30}
              maxWidth={80}
              createCustomValue
              placeholder="service, attributes.http.route"
              options={['service', 'type', 'unit'].map((g) => ({ label: g, value: g }))}
              value={query.groupBy ?? []}
              onChange={(v) => change({ groupBy: v.map((o) => o.value).filter(Boolean) }, true)}
            />
          </InlineField>
          {filtersField}
        </>
      )}

      {builder && (
        <div className={styles.preview}>
          <div className={styles.previewHeader}>
            <span className={styles.previewLabel}>HQL</span>
            <Button size="sm" variant="secondary" icon="pen" onClick={editAsHql}>
              Edit as HQL
            </Button>
          </div>
          <HqlEditor aria-label="Generated HQL" value={preview} onChange={() => undefined} readOnly rows={2} />
        </div>
      )}

      {problems.length > 0 && (
        <Alert severity="warning" title="This query will be refused">
          <ul className={styles.problems}>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </Alert>
      )}
      {queryError && !position && <Alert severity="error" title={queryError} />}
    </Stack>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  preview: css({ marginTop: theme.spacing(0.5) }),
  previewHeader: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'space-between',
    marginBottom: theme.spacing(0.5),
  }),
  previewLabel: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  problems: css({ margin: 0, paddingLeft: theme.spacing(2) }),
});
