import { CoreApp, DataSourceInstanceSettings } from '@grafana/data';
import { DataSourceWithBackend } from '@grafana/runtime';

import { DEFAULT_QUERY, HeimsightOptions, HeimsightQuery } from './types';

export class DataSource extends DataSourceWithBackend<HeimsightQuery, HeimsightOptions> {
  constructor(instanceSettings: DataSourceInstanceSettings<HeimsightOptions>) {
    super(instanceSettings);
  }

  getDefaultQuery(_: CoreApp): Partial<HeimsightQuery> {
    return DEFAULT_QUERY;
  }
}
