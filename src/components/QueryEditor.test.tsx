import React, { useState } from 'react';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { LoadingState, PanelData, getDefaultTimeRange } from '@grafana/data';

import { QueryEditor } from './QueryEditor';
import type { DataSource } from '../datasource';
import { HeimsightQuery } from '../types';
import { builderToHql } from '../hql/builders';
import { testCatalog } from '../testutil';

function fakeDatasource() {
  return {
    getCatalog: jest.fn().mockResolvedValue(testCatalog),
    getServices: jest.fn().mockResolvedValue(['checkout', 'frontend']),
    getMetricNames: jest.fn().mockResolvedValue(['http.server.duration', 'queue_depth']),
  } as unknown as DataSource;
}

// A stateful host, as Grafana is: onChange feeds the query back in.
function Host(props: {
  initial: HeimsightQuery;
  onRun?: () => void;
  onQuery?: (q: HeimsightQuery) => void;
  data?: PanelData;
}) {
  const [query, setQuery] = useState(props.initial);
  return (
    <QueryEditor
      query={query}
      datasource={fakeDatasource()}
      onChange={(q) => {
        setQuery(q);
        props.onQuery?.(q);
      }}
      onRunQuery={props.onRun ?? jest.fn()}
      data={props.data}
      range={getDefaultTimeRange()}
    />
  );
}

async function renderHost(props: Parameters<typeof Host>[0]) {
  const utils = render(<Host {...props} />);
  // Let the catalog promise settle.
  await act(async () => {});
  return utils;
}

describe('QueryEditor builders', () => {
  it('shows the HQL of the logs builder as the user types', async () => {
    const onQuery = jest.fn();
    await renderHost({ initial: { refId: 'A', queryType: 'logs' }, onQuery });
    const preview = screen.getByLabelText('Generated HQL') as HTMLTextAreaElement;
    expect(preview.value).toBe(builderToHql({ refId: 'A', queryType: 'logs' }));
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: "it's down" } });
    expect(preview.value).toContain("body CONTAINS 'it''s down'");
    expect(onQuery).toHaveBeenLastCalledWith(expect.objectContaining({ search: "it's down" }));
  });

  it('edits attribute filters', async () => {
    const onRun = jest.fn();
    await renderHost({ initial: { refId: 'A', queryType: 'logs' }, onRun });
    fireEvent.click(screen.getByRole('button', { name: 'Add filter' }));
    fireEvent.change(screen.getByLabelText('Filter 1 key'), { target: { value: 'attributes.http.method' } });
    fireEvent.change(screen.getByLabelText('Filter 1 value'), { target: { value: 'POST' } });
    fireEvent.blur(screen.getByLabelText('Filter 1 value'));
    expect(onRun).toHaveBeenCalled();
    expect((screen.getByLabelText('Generated HQL') as HTMLTextAreaElement).value).toContain(
      "attributes['http.method'] = 'POST'"
    );
    fireEvent.click(screen.getByRole('button', { name: 'Remove filter 1' }));
    expect((screen.getByLabelText('Generated HQL') as HTMLTextAreaElement).value).not.toContain('http.method');
  });

  it('switches a builder query to HQL mode carrying its text', async () => {
    const onQuery = jest.fn();
    const initial: HeimsightQuery = { refId: 'A', queryType: 'traces', service: 'checkout', status: 'Error' };
    await renderHost({ initial, onQuery });
    fireEvent.click(screen.getByRole('button', { name: 'Edit as HQL' }));
    const hql = builderToHql(initial);
    expect(onQuery).toHaveBeenLastCalledWith(expect.objectContaining({ queryType: 'hql', hql, format: 'table' }));
    expect(screen.getByLabelText('HQL query')).toHaveValue(hql);
  });

  it('changes mode and format together', async () => {
    const onQuery = jest.fn();
    await renderHost({ initial: { refId: 'A', queryType: 'logs', format: 'logs' }, onQuery });
    fireEvent.click(screen.getByLabelText('Metrics'));
    expect(onQuery).toHaveBeenLastCalledWith(expect.objectContaining({ queryType: 'metrics', format: 'time_series' }));
    expect(screen.getByText('choose a metric')).toBeInTheDocument();
  });

  it('builds metrics queries per tier and aggregation', async () => {
    const onQuery = jest.fn();
    await renderHost({ initial: { refId: 'A', queryType: 'metrics', metric: 'cpu' }, onQuery });
    fireEvent.click(screen.getByLabelText('1h'));
    fireEvent.click(screen.getByLabelText('max'));
    expect(onQuery).toHaveBeenLastCalledWith(expect.objectContaining({ tier: '1h', aggregation: 'max' }));
    expect((screen.getByLabelText('Generated HQL') as HTMLTextAreaElement).value).toContain(
      'max(max) AS cpu FROM metrics_1hour'
    );
  });

  it('warns about fields the backend would refuse', async () => {
    await renderHost({ initial: { refId: 'A', queryType: 'traces', minDuration: '5 minutes' } });
    expect(screen.getByText('This query will be refused')).toBeInTheDocument();
    expect(screen.getByText(/minimum duration "5 minutes" is not a duration/)).toBeInTheDocument();
  });

  it('edits a trace id', async () => {
    const onQuery = jest.fn();
    await renderHost({ initial: { refId: 'A', queryType: 'traceId' }, onQuery });
    fireEvent.change(screen.getByPlaceholderText('32 hex digits'), { target: { value: 'ABC' } });
    expect(screen.getByText('a trace id is 32 hex digits')).toBeInTheDocument();
  });
});

describe('QueryEditor HQL mode', () => {
  it('runs on Shift+Enter', async () => {
    const onRun = jest.fn();
    await renderHost({ initial: { refId: 'A', queryType: 'hql', hql: 'SELECT * FROM logs' }, onRun });
    const editor = screen.getByLabelText('HQL query');
    fireEvent.keyDown(editor, { key: 'Enter', shiftKey: true });
    expect(onRun).toHaveBeenCalledTimes(1);
  });

  it('completes tables and columns from the catalog', async () => {
    const onQuery = jest.fn();
    await renderHost({ initial: { refId: 'A', queryType: 'hql', hql: '' }, onQuery });
    const editor = screen.getByLabelText('HQL query') as HTMLTextAreaElement;
    const type = (text: string) => {
      fireEvent.change(editor, { target: { value: text, selectionStart: text.length, selectionEnd: text.length } });
    };
    type('SELECT * FROM sp');
    const list = await screen.findByRole('listbox', { name: 'HQL suggestions' });
    expect(list).toHaveTextContent('spans');
    fireEvent.keyDown(editor, { key: 'Enter' });
    expect(onQuery).toHaveBeenLastCalledWith(expect.objectContaining({ hql: 'SELECT * FROM spans' }));

    type('SELECT dur FROM spans');
    editor.setSelectionRange(10, 10);
    fireEvent.keyDown(editor, { key: ' ', ctrlKey: true });
    const options = await screen.findAllByRole('option');
    expect(options.map((o) => o.textContent)).toEqual([expect.stringContaining('duration_ns')]);
    fireEvent.mouseDown(options[0]);
    expect(onQuery).toHaveBeenLastCalledWith(expect.objectContaining({ hql: 'SELECT duration_ns FROM spans' }));
  });

  it('marks the error at its position', async () => {
    const data: PanelData = {
      state: LoadingState.Error,
      series: [],
      timeRange: getDefaultTimeRange(),
      errors: [{ refId: 'A', message: "HQL error at line 2, column 6: unknown table 'lgs'; did you mean 'logs'?" }],
    };
    await renderHost({ initial: { refId: 'A', queryType: 'hql', hql: 'SELECT *\nFROM lgs' }, data });
    expect(screen.getByRole('alert')).toHaveTextContent("Line 2, column 6: unknown table 'lgs'; did you mean 'logs'?");
    expect(screen.getByTestId('hql-error-mark')).toHaveTextContent('lgs');
    expect(screen.getByLabelText('HQL query')).toHaveAttribute('aria-invalid', 'true');
  });

  it('ignores errors of other queries', async () => {
    const data: PanelData = {
      state: LoadingState.Error,
      series: [],
      timeRange: getDefaultTimeRange(),
      errors: [{ refId: 'B', message: 'HQL error at line 1, column 1: nope' }],
    };
    await renderHost({ initial: { refId: 'A', queryType: 'hql', hql: 'SELECT 1' }, data });
    await waitFor(() => expect(screen.queryByRole('alert')).not.toBeInTheDocument());
  });
});
