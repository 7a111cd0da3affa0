import React from 'react';
import { render, screen, waitFor, fireEvent } from '@testing-library/react';
import { DataSourceSettings } from '@grafana/data';

import { ConfigEditor, validateUrl } from './ConfigEditor';
import { HeimsightOptions, HeimsightSecureOptions } from '../types';
import { scriptedFetch } from '../testutil';

let backend: ReturnType<typeof scriptedFetch>;
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch: (req: never) => backend.fetch(req) }),
}));

type Settings = DataSourceSettings<HeimsightOptions, HeimsightSecureOptions>;

function settings(patch: Partial<Settings> = {}): Settings {
  return {
    id: 1,
    uid: 'hs1',
    orgId: 1,
    name: 'Heimsight',
    type: 'heimsight-heimsight-datasource',
    typeName: 'Heimsight',
    typeLogoUrl: '',
    access: 'proxy',
    url: 'http://localhost:8080',
    user: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData: { timeout: 30 },
    secureJsonFields: {},
    readOnly: false,
    withCredentials: false,
    version: 2,
    ...patch,
  } as Settings;
}

const policies = {
  policies: [
    { data_type: 'logs', tier: 'raw', ttl_days: 30 },
    { data_type: 'logs', tier: '1h', ttl_days: 365 },
    { data_type: 'metrics', tier: 'raw', ttl_days: 90 },
  ],
};

// The retention section loads as soon as the editor renders: wait for it so that its update
// lands inside the test.
async function retentionLoaded() {
  await screen.findByLabelText('logs raw retention days');
}

describe('ConfigEditor connection settings', () => {
  beforeEach(() => {
    backend = scriptedFetch({ 'GET retention': () => policies });
  });

  it('edits the URL', async () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings()} onOptionsChange={onOptionsChange} />);
    await retentionLoaded();
    fireEvent.change(screen.getByPlaceholderText('http://localhost:8080'), {
      target: { value: 'http://heimsight:8080' },
    });
    expect(onOptionsChange).toHaveBeenCalledWith(expect.objectContaining({ url: 'http://heimsight:8080' }));
  });

  it('shows URL mistakes the backend would refuse', async () => {
    expect(validateUrl('ftp://x')).toMatch(/http:\/\/ or https:\/\//);
    expect(validateUrl('http://x:8080/?a=1')).toMatch(/query or fragment/);
    expect(validateUrl('http://x:8080')).toBeUndefined();
    render(<ConfigEditor options={settings({ url: 'localhost:8080' })} onOptionsChange={jest.fn()} />);
    await retentionLoaded();
    expect(screen.getByText('Must start with http:// or https://')).toBeInTheDocument();
  });

  it('stores the API token as a secure field and resets it', async () => {
    const onOptionsChange = jest.fn();
    const { rerender } = render(<ConfigEditor options={settings()} onOptionsChange={onOptionsChange} />);
    await retentionLoaded();
    fireEvent.change(screen.getByPlaceholderText('Token'), { target: { value: 's3cret' } });
    expect(onOptionsChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ secureJsonData: { apiToken: 's3cret' } })
    );

    rerender(
      <ConfigEditor options={settings({ secureJsonFields: { apiToken: true } })} onOptionsChange={onOptionsChange} />
    );
    expect(screen.getByDisplayValue('configured')).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(onOptionsChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ secureJsonFields: { apiToken: false }, secureJsonData: { apiToken: '' } })
    );
  });

  it('validates the timeout', async () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings()} onOptionsChange={onOptionsChange} />);
    await retentionLoaded();
    const input = document.getElementById('heimsight-timeout') as HTMLInputElement;
    expect(input).toHaveValue('30');
    fireEvent.change(input, { target: { value: '0' } });
    expect(screen.getByText('Between 1 and 600 seconds')).toBeInTheDocument();
    fireEvent.change(input, { target: { value: '45' } });
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ jsonData: { timeout: 45 } }));
  });
});

describe('ConfigEditor retention', () => {
  it('loads the policies, validates 1..3650 and saves', async () => {
    let stored = policies;
    backend = scriptedFetch({
      'GET retention': () => stored,
      'PUT retention': (req) => {
        stored = req.data as typeof policies;
        return stored;
      },
    });
    render(<ConfigEditor options={settings()} onOptionsChange={jest.fn()} />);
    const logsRaw = await screen.findByLabelText('logs raw retention days');
    expect(logsRaw).toHaveValue('30');
    expect(screen.getByLabelText('logs 1h retention days')).toHaveValue('365');
    expect(screen.getByLabelText('metrics raw retention days')).toHaveValue('90');

    const save = screen.getByRole('button', { name: 'Save retention' });
    expect(save).toBeDisabled();

    fireEvent.change(logsRaw, { target: { value: '0' } });
    expect(screen.getByText('Must be between 1 and 3650 days')).toBeInTheDocument();
    expect(save).toBeDisabled();
    fireEvent.change(logsRaw, { target: { value: '3651' } });
    expect(save).toBeDisabled();

    fireEvent.change(logsRaw, { target: { value: '60' } });
    expect(save).toBeEnabled();
    fireEvent.click(save);
    expect(await screen.findByText('Retention policies saved')).toBeInTheDocument();
    const put = backend.calls.find((c) => c.method === 'PUT');
    expect(put?.url).toBe('/api/datasources/uid/hs1/resources/retention');
    expect(put?.data).toEqual({
      policies: [
        { data_type: 'logs', tier: 'raw', ttl_days: 60 },
        { data_type: 'logs', tier: '1h', ttl_days: 365 },
        { data_type: 'metrics', tier: 'raw', ttl_days: 90 },
      ],
    });
    expect(screen.getByRole('button', { name: 'Save retention' })).toBeDisabled();
  });

  it('reports a refused save and keeps the saved policies', async () => {
    backend = scriptedFetch({
      'GET retention': () => policies,
      'PUT retention': () => {
        throw { status: 400, data: { error: { code: 'bad_request', message: 'ttl_days must be 1..3650' } } };
      },
    });
    render(<ConfigEditor options={settings()} onOptionsChange={jest.fn()} />);
    const metrics = await screen.findByLabelText('metrics raw retention days');
    fireEvent.change(metrics, { target: { value: '120' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save retention' }));
    expect(await screen.findByText('Retention not changed: ttl_days must be 1..3650')).toBeInTheDocument();
    expect(screen.queryByText('Retention policies saved')).not.toBeInTheDocument();
    // The user's input stays for another try; discarding goes back to what the server has.
    expect(metrics).toHaveValue('120');
    fireEvent.click(screen.getByRole('button', { name: 'Discard changes' }));
    expect(metrics).toHaveValue('90');
  });

  it('says when the policies cannot be loaded and retries', async () => {
    let fail = true;
    backend = scriptedFetch({
      'GET retention': () => {
        if (fail) {
          throw {
            status: 502,
            data: { error: { code: 'unreachable', message: 'cannot reach http://localhost:8080' } },
          };
        }
        return policies;
      },
    });
    render(<ConfigEditor options={settings()} onOptionsChange={jest.fn()} />);
    expect(await screen.findByText('Cannot load retention policies')).toBeInTheDocument();
    expect(screen.getByText('cannot reach http://localhost:8080')).toBeInTheDocument();
    fail = false;
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(screen.getByLabelText('logs raw retention days')).toHaveValue('30'));
  });

  it('asks to save a new datasource first', () => {
    backend = scriptedFetch({});
    render(<ConfigEditor options={settings({ uid: '' })} onOptionsChange={jest.fn()} />);
    expect(screen.getByText('Save the datasource to manage retention')).toBeInTheDocument();
    expect(backend.fetch).not.toHaveBeenCalled();
  });
});
