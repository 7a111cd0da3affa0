import { createDataFrame, CustomVariableSupport, DataQueryRequest, DataQueryResponse, FieldType } from '@grafana/data';
import { from, map, Observable } from 'rxjs';

import type { DataSource } from './datasource';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import { HeimsightQuery, HeimsightVariableQuery } from './types';

/**
 * Template variables: values of a column, services or metric names (through resources), or the
 * first column of an HQL query (through the query path, so variables and macros work there too).
 */
export class HeimsightVariableSupport extends CustomVariableSupport<DataSource, HeimsightVariableQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  query(request: DataQueryRequest<HeimsightVariableQuery>): Observable<DataQueryResponse> {
    const q = request.targets[0];
    if (q?.variableType === 'hql') {
      const target: HeimsightQuery = {
        refId: q.refId ?? 'variable',
        queryType: 'hql',
        format: 'table',
        hql: q.hql ?? '',
      };
      return this.datasource.query({ ...request, targets: [target] } as unknown as DataQueryRequest<HeimsightQuery>);
    }
    return from(this.datasource.metricFindQuery(q, { range: request.range, scopedVars: request.scopedVars })).pipe(
      map((values) => {
        const frame = createDataFrame({
          fields: [{ name: 'text', type: FieldType.string, values: values.map((v) => v.text) }],
        });
        return { data: [frame] };
      })
    );
  }
}
