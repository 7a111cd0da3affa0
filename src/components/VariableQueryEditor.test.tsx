import React from 'react';
import { act, fireEvent, render, screen } from '@testing-library/react';

import { VariableQueryEditor } from './VariableQueryEditor';
import type { DataSource } from '../datasource';
import { testCatalog } from '../testutil';

const datasource = { getCatalog: jest.fn().mockResolvedValue(testCatalog) } as unknown as DataSource;

describe('VariableQueryEditor', () => {
  it('edits a column-values variable', async () => {
    const onChange = jest.fn();
    render(
      <VariableQueryEditor
        datasource={datasource}
        query={{ refId: 'v', variableType: 'values' }}
        onChange={onChange}
        onRunQuery={jest.fn()}
      />
    );
    await act(async () => {});
    fireEvent.click(screen.getByLabelText('spans'));
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ variableType: 'values', table: 'spans' }));
    fireEvent.change(screen.getByLabelText('Column'), { target: { value: 'service' } });
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ column: 'service' }));
  });

  it('switches to an HQL variable', async () => {
    const onChange = jest.fn();
    const { rerender } = render(
      <VariableQueryEditor
        datasource={datasource}
        query={{ refId: 'v', variableType: 'values' }}
        onChange={onChange}
        onRunQuery={jest.fn()}
      />
    );
    await act(async () => {});
    fireEvent.click(screen.getByLabelText('HQL'));
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ variableType: 'hql' }));
    rerender(
      <VariableQueryEditor
        datasource={datasource}
        query={{ refId: 'v', variableType: 'hql', hql: '' }}
        onChange={onChange}
        onRunQuery={jest.fn()}
      />
    );
    fireEvent.change(screen.getByLabelText('Variable HQL query'), {
      target: { value: 'SELECT DISTINCT service FROM logs' },
    });
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ hql: 'SELECT DISTINCT service FROM logs' }));
  });
});
