import { DataSourcePlugin } from '@grafana/data';
import { DataSource } from './datasource';
import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { HeimsightOptions, HeimsightQuery, HeimsightSecureOptions } from './types';

export const plugin = new DataSourcePlugin<DataSource, HeimsightQuery, HeimsightOptions, HeimsightSecureOptions>(
  DataSource
)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
