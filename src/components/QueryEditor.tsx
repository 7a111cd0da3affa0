import React from 'react';
import { QueryEditorProps } from '@grafana/data';
import { DataSource } from '../datasource';
import { HeimsightOptions, HeimsightQuery } from '../types';

type Props = QueryEditorProps<DataSource, HeimsightQuery, HeimsightOptions>;

export function QueryEditor(_: Props) {
  return <div />;
}
