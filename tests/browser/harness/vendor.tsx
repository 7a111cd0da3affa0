// The harness page: provides the modules Grafana gives a plugin (React, @grafana/ui, data, runtime,
// emotion, rxjs), answers the plugin's resource calls with canned data, loads the built
// dist/module.js through a minimal AMD `define`, and renders its ConfigEditor and QueryEditor the
// way Grafana does (stateful hosts feeding onChange back into the editor).
import * as emotionCss from '@emotion/css';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as rxjs from 'rxjs';

import { mockBackendSrv, harnessState } from './mocks';

type PluginModule = { plugin: grafanaData.DataSourcePlugin<any, any, any, any> };

const modules: Record<string, unknown> = {
  '@emotion/css': emotionCss,
  '@grafana/data': grafanaData,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/ui': grafanaUi,
  react: React,
  'react-dom': ReactDOM,
  rxjs,
};

grafanaRuntime.setBackendSrv(mockBackendSrv as unknown as grafanaRuntime.BackendSrv);
grafanaRuntime.setTemplateSrv({
  getVariables: () => [],
  replace: (s?: string) => s ?? '',
  containsTemplate: () => false,
  updateTimeRange: () => undefined,
} as unknown as grafanaRuntime.TemplateSrv);

function loadPlugin(src: string): Promise<PluginModule> {
  return new Promise((resolve, reject) => {
    (window as any).define = (deps: string[], factory: (...args: unknown[]) => PluginModule) => {
      try {
        const args = deps.map((d) => {
          if (d === 'module') {
            return { uri: src, id: src };
          }
          if (!(d in modules)) {
            throw new Error(`the plugin needs ${d}, which Grafana does not provide`);
          }
          return modules[d];
        });
        resolve(factory(...args));
      } catch (err) {
        reject(err);
      }
    };
    (window as any).define.amd = {};
    const s = document.createElement('script');
    s.src = src;
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
}

const theme = grafanaData.createTheme({ colors: { mode: 'dark' } });

function ConfigHost({ plugin }: PluginModule) {
  const Editor = plugin.components.ConfigEditor!;
  const [options, setOptions] = React.useState<any>({
    id: 1,
    uid: 'heimsight-test',
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
    isDefault: true,
    jsonData: { timeout: 30 },
    secureJsonFields: { apiToken: true },
    secureJsonData: {},
    readOnly: false,
    withCredentials: false,
    version: 2,
  });
  return (
    <section data-testid="config-host">
      <h2>Config editor</h2>
      <Editor options={options} onOptionsChange={setOptions} />
      <pre data-testid="config-options">
        {JSON.stringify({
          url: options.url,
          jsonData: options.jsonData,
          secureJsonFields: options.secureJsonFields,
          secureJsonData: options.secureJsonData,
        })}
      </pre>
    </section>
  );
}

function QueryHost({ plugin }: PluginModule) {
  const Editor = plugin.components.QueryEditor!;
  const datasource = React.useMemo(
    () =>
      new plugin.DataSourceClass({
        id: 1,
        uid: 'heimsight-test',
        type: 'heimsight-heimsight-datasource',
        name: 'Heimsight',
        jsonData: {},
        meta: { id: 'heimsight-heimsight-datasource', info: { logos: {} } },
        access: 'proxy',
        readOnly: false,
      } as any),
    [plugin]
  );
  const [query, setQuery] = React.useState<any>({ refId: 'A', queryType: 'logs', format: 'logs' });
  const [runs, setRuns] = React.useState(0);
  const [data, setData] = React.useState<grafanaData.PanelData | undefined>();
  const range = React.useMemo(() => grafanaData.getDefaultTimeRange(), []);
  const run = () => {
    setRuns((n) => n + 1);
    // The backend's answer to an HQL query naming an unknown table.
    const m = query.queryType === 'hql' ? /\b(lgs)\b/.exec(query.hql ?? '') : null;
    if (m) {
      const before = (query.hql as string).slice(0, m.index);
      const line = before.split('\n').length;
      const column = m.index - (before.lastIndexOf('\n') + 1) + 1;
      setData({
        state: grafanaData.LoadingState.Error,
        series: [],
        timeRange: range,
        errors: [
          {
            refId: 'A',
            message: `HQL error at line ${line}, column ${column}: unknown table 'lgs'; did you mean 'logs'?`,
          },
        ],
      });
    } else {
      setData(undefined);
    }
  };
  return (
    <section data-testid="query-host">
      <h2>Query editor</h2>
      <Editor
        query={query}
        datasource={datasource}
        onChange={setQuery}
        onRunQuery={run}
        data={data}
        range={range}
        app={grafanaData.CoreApp.Explore}
      />
      <pre data-testid="query-state">{JSON.stringify({ runs, query })}</pre>
    </section>
  );
}

function App({ plugin }: PluginModule) {
  return (
    <grafanaUi.ThemeContext.Provider value={theme}>
      <grafanaUi.GlobalStyles />
      <div style={{ display: 'flex', flexDirection: 'column', gap: 32, padding: 24, maxWidth: 1100 }}>
        <ConfigHost plugin={plugin} />
        <QueryHost plugin={plugin} />
      </div>
    </grafanaUi.ThemeContext.Provider>
  );
}

const params = new URLSearchParams(window.location.search);
harnessState.failRetentionSave = params.get('failSave') === '1';

loadPlugin(params.get('module') ?? '/dist/module.js')
  .then((mod) => {
    createRoot(document.getElementById('root')!).render(<App plugin={mod.plugin} />);
    (window as any).harnessReady = true;
  })
  .catch((err) => {
    document.getElementById('root')!.textContent = 'harness error: ' + err.message;
    (window as any).harnessError = String(err);
  });
