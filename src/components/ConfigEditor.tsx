import React from 'react';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { HeimsightOptions, HeimsightSecureOptions } from '../types';

type Props = DataSourcePluginOptionsEditorProps<HeimsightOptions, HeimsightSecureOptions>;

export function ConfigEditor(_: Props) {
  return <div />;
}
