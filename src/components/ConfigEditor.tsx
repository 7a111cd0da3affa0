import React, { ChangeEvent } from 'react';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { Divider, Field, FieldSet, Input, SecretInput, Stack } from '@grafana/ui';

import { HeimsightOptions, HeimsightSecureOptions } from '../types';
import { RetentionSettings } from './RetentionSettings';

type Props = DataSourcePluginOptionsEditorProps<HeimsightOptions, HeimsightSecureOptions>;

export const DEFAULT_TIMEOUT_SECONDS = 30;
const MIN_TIMEOUT = 1;
const MAX_TIMEOUT = 600;

/** validateUrl mirrors the backend's checks (plugin/datasource/settings.go). */
export function validateUrl(raw: string): string | undefined {
  const s = raw.trim();
  if (s === '') {
    return 'Set the Heimsight REST address, e.g. http://localhost:8080';
  }
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return 'Not a valid URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return 'Must start with http:// or https://';
  }
  if (u.search !== '' || u.hash !== '') {
    return 'Must not have a query or fragment';
  }
  return undefined;
}

export function validateTimeout(raw: string): string | undefined {
  if (raw.trim() === '') {
    return undefined;
  }
  const n = Number(raw);
  if (!Number.isFinite(n) || n < MIN_TIMEOUT || n > MAX_TIMEOUT) {
    return `Between ${MIN_TIMEOUT} and ${MAX_TIMEOUT} seconds`;
  }
  return undefined;
}

export function ConfigEditor(props: Props) {
  const { onOptionsChange, options } = props;
  const { jsonData, secureJsonFields, secureJsonData } = options;
  const url = options.url || jsonData.url || '';
  const [timeoutText, setTimeoutText] = React.useState(jsonData.timeout !== undefined ? String(jsonData.timeout) : '');
  const urlError = url !== '' ? validateUrl(url) : undefined;
  const timeoutError = validateTimeout(timeoutText);

  const onUrlChange = (e: ChangeEvent<HTMLInputElement>) => {
    onOptionsChange({ ...options, url: e.target.value, jsonData: { ...jsonData, url: undefined } });
  };

  const onTimeoutChange = (e: ChangeEvent<HTMLInputElement>) => {
    const text = e.target.value;
    setTimeoutText(text);
    const n = Number(text);
    onOptionsChange({
      ...options,
      jsonData: { ...jsonData, timeout: text.trim() === '' || !Number.isFinite(n) ? undefined : n },
    });
  };

  const onTokenChange = (e: ChangeEvent<HTMLInputElement>) => {
    onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, apiToken: e.target.value } });
  };

  const onTokenReset = () => {
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureJsonFields, apiToken: false },
      secureJsonData: { ...secureJsonData, apiToken: '' },
    });
  };

  // Retention is stored by the server, not in these settings: it needs a saved datasource.
  const saved = !!options.uid;

  return (
    <Stack direction="column" gap={2}>
      <FieldSet label="Connection">
        <Field
          label="URL"
          description="The Heimsight REST address the plugin backend calls"
          invalid={!!urlError}
          error={urlError}
          required
        >
          <Input id="heimsight-url" width={50} value={url} placeholder="http://localhost:8080" onChange={onUrlChange} />
        </Field>
        <Field label="API token" description="Sent as a Bearer token; leave empty when the server has no token">
          <SecretInput
            id="heimsight-api-token"
            width={50}
            isConfigured={!!secureJsonFields?.apiToken}
            value={secureJsonData?.apiToken ?? ''}
            placeholder="Token"
            onReset={onTokenReset}
            onChange={onTokenChange}
          />
        </Field>
        <Field
          label="Timeout"
          description={`Seconds each request may take (default ${DEFAULT_TIMEOUT_SECONDS})`}
          invalid={!!timeoutError}
          error={timeoutError}
        >
          <Input
            id="heimsight-timeout"
            width={16}
            inputMode="numeric"
            suffix="s"
            value={timeoutText}
            placeholder={String(DEFAULT_TIMEOUT_SECONDS)}
            onChange={onTimeoutChange}
          />
        </Field>
      </FieldSet>
      <Divider />
      <FieldSet label="Retention">
        <RetentionSettings uid={saved ? options.uid : undefined} />
      </FieldSet>
    </Stack>
  );
}
