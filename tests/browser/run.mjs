// Browser test: serves the harness page and the built plugin (dist/module.js) on 127.0.0.1, drives
// headless Chromium (Debian's, through playwright-core) like a user, checks what is on screen, and
// saves screenshots to test-artifacts/. Run `npm run build` and `npm run build:harness` first.
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(root, 'test-artifacts');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.svg': 'image/svg+xml' };

function serve() {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let file;
    if (url.pathname === '/') {
      file = path.join(root, 'tests/browser/harness/index.html');
    } else if (url.pathname.startsWith('/harness/')) {
      file = path.join(artifacts, 'harness', url.pathname.slice('/harness/'.length));
    } else if (url.pathname.startsWith('/dist/')) {
      file = path.join(root, 'dist', url.pathname.slice('/dist/'.length));
    }
    if (!file || file.includes('..') || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(await readFile(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const results = [];
async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${err.message.split('\n').slice(0, 6).join('\n     ')}`);
  }
}

function expect(cond, msg) {
  if (!cond) {
    throw new Error(msg);
  }
}

async function shot(page, name, locator) {
  const file = path.join(artifacts, name);
  if (locator) {
    await locator.screenshot({ path: file });
  } else {
    await page.screenshot({ path: file, fullPage: true });
  }
  console.log(`     screenshot ${path.relative(root, file)}`);
}

async function openHarness(browser, base, query = '') {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = [];
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base + '/' + query);
  await page.waitForFunction(() => window.harnessReady || window.harnessError, null, { timeout: 60000 });
  const harnessError = await page.evaluate(() => window.harnessError);
  if (harnessError) {
    throw new Error(harnessError);
  }
  return { page, errors };
}

async function main() {
  for (const f of ['dist/module.js', 'test-artifacts/harness/vendor.js']) {
    if (!existsSync(path.join(root, f))) {
      console.error(`missing ${f}: run npm run build and npm run build:harness first`);
      process.exit(2);
    }
  }
  await mkdir(artifacts, { recursive: true });
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const { page, errors } = await openHarness(browser, base);
    const config = page.getByTestId('config-host');
    const editor = page.getByTestId('query-host');
    const queryState = async () => JSON.parse(await page.getByTestId('query-state').textContent());

    await check('config editor shows the connection settings', async () => {
      await config.getByPlaceholder('http://localhost:8080').waitFor();
      expect(
        (await config.getByPlaceholder('http://localhost:8080').inputValue()) === 'http://localhost:8080',
        'URL not shown'
      );
      expect(await config.getByRole('button', { name: 'Reset' }).isVisible(), 'configured token has no Reset button');
    });

    await check('config editor flags a URL without scheme and accepts a fixed one', async () => {
      const url = config.getByPlaceholder('http://localhost:8080');
      await url.fill('heimsight:8080');
      await config.getByText('Must start with http:// or https://').waitFor();
      await url.fill('http://heimsight:8080');
      await config.getByText('Must start with http:// or https://').waitFor({ state: 'detached' });
      const opts = JSON.parse(await page.getByTestId('config-options').textContent());
      expect(opts.url === 'http://heimsight:8080', 'options.url is ' + opts.url);
    });

    await check('API token reset clears the configured secret', async () => {
      await config.getByRole('button', { name: 'Reset' }).click();
      const token = config.getByPlaceholder('Token');
      await token.fill('new-token');
      const opts = JSON.parse(await page.getByTestId('config-options').textContent());
      expect(
        opts.secureJsonFields.apiToken === false && opts.secureJsonData.apiToken === 'new-token',
        JSON.stringify(opts)
      );
    });

    await check('retention policies load, validate 1..3650 and save', async () => {
      const logsRaw = config.getByLabel('logs raw retention days');
      await logsRaw.waitFor();
      expect((await logsRaw.inputValue()) === '30', 'logs raw is not 30');
      expect(
        (await config.getByLabel('metrics metrics_1hour retention days').inputValue()) === '365',
        'metrics 1h is not 365'
      );
      await logsRaw.fill('0');
      await config.getByText('Must be between 1 and 3650 days').waitFor();
      expect(
        await config.getByRole('button', { name: 'Save retention' }).isDisabled(),
        'save enabled with an invalid TTL'
      );
      await shot(page, 'config-editor-retention-invalid.png', config);
      await logsRaw.fill('45');
      await config.getByRole('button', { name: 'Save retention' }).click();
      await config.getByText('Retention policies saved').waitFor();
      const puts = await page.evaluate(() => window.harnessState.puts);
      const body = JSON.stringify(puts[0]);
      expect(body.includes('"logs":{"data_type":"logs","ttl_days":45}'), 'PUT body: ' + body);
      expect(
        body.includes('"metrics_1hour":{"data_type":"metrics","tier":"metrics_1hour","ttl_days":365}'),
        'PUT body: ' + body
      );
      await shot(page, 'config-editor.png', config);
    });

    await check('query editor shows the HQL of the logs builder', async () => {
      const search = editor.getByLabel('Search');
      await search.fill("it's slow");
      const hql = await editor.getByLabel('Generated HQL').inputValue();
      expect(hql.includes("body CONTAINS 'it''s slow'"), 'preview: ' + hql);
      await editor.getByRole('button', { name: 'Add filter' }).click();
      await editor.getByLabel('Filter 1 key').fill('attributes.http.method');
      await editor.getByLabel('Filter 1 value').fill('POST');
      await editor.getByLabel('Filter 1 value').blur();
      const hql2 = await editor.getByLabel('Generated HQL').inputValue();
      expect(hql2.includes("attributes['http.method'] = 'POST'"), 'preview: ' + hql2);
      await shot(page, 'query-editor-logs.png', editor);
    });

    await check('service list comes from the services resource', async () => {
      await editor.locator('#heimsight-service-A').click();
      await page.getByRole('option', { name: 'checkout' }).click();
      await page.waitForFunction(
        () => JSON.parse(document.querySelector('[data-testid=query-state]').textContent).query.service === 'checkout'
      );
      expect(
        (await editor.getByLabel('Generated HQL').inputValue()).includes("service = 'checkout'"),
        'no service in HQL'
      );
    });

    await check('metrics builder with tier and aggregation', async () => {
      await editor.getByLabel('Metrics', { exact: true }).click();
      await editor.locator('#heimsight-metric-A').click();
      await page.getByRole('option', { name: 'http.server.duration' }).click();
      await editor.getByLabel('1h', { exact: true }).click();
      await editor.getByLabel('max', { exact: true }).click();
      await page.waitForFunction(() =>
        document.querySelector('[aria-label="Generated HQL"]').value.includes('max(max)')
      );
      const hql = await editor.getByLabel('Generated HQL').inputValue();
      expect(hql.includes('max(max) AS "http.server.duration" FROM metrics_1hour'), 'preview: ' + hql);
      await shot(page, 'query-editor-metrics.png', editor);
    });

    await check('edit as HQL carries the builder query over', async () => {
      const before = await editor.getByLabel('Generated HQL').inputValue();
      await editor.getByRole('button', { name: 'Edit as HQL' }).click();
      const hql = editor.getByLabel('HQL query');
      await hql.waitFor();
      expect((await hql.inputValue()) === before, 'HQL differs from the preview');
      expect((await queryState()).query.queryType === 'hql', 'not in HQL mode');
    });

    await check('HQL autocomplete offers tables and columns from the catalog', async () => {
      const hql = editor.getByLabel('HQL query');
      await hql.fill('');
      await hql.pressSequentially('SELECT * FROM sp', { delay: 15 });
      const list = page.getByRole('listbox', { name: 'HQL suggestions' });
      await list.waitFor();
      expect((await list.textContent()).includes('spans'), 'no spans suggestion');
      await shot(page, 'query-editor-hql-autocomplete.png', editor);
      await page.keyboard.press('Enter');
      expect((await hql.inputValue()) === 'SELECT * FROM spans', 'value: ' + (await hql.inputValue()));
      await hql.press('End');
      await hql.pressSequentially(' WHERE dur', { delay: 15 });
      await list.waitFor();
      expect((await list.textContent()).includes('duration_ns'), 'no duration_ns suggestion');
      await page.keyboard.press('Tab');
      expect(
        (await hql.inputValue()) === 'SELECT * FROM spans WHERE duration_ns',
        'value: ' + (await hql.inputValue())
      );
    });

    await check('Shift+Enter runs the query and errors are marked at their position', async () => {
      const hql = editor.getByLabel('HQL query');
      const runsBefore = (await queryState()).runs;
      await hql.fill('SELECT count(*)\nFROM lgs\nWHERE $__timeFilter(timestamp)');
      await hql.press('Shift+Enter');
      await page.waitForFunction(
        (n) => JSON.parse(document.querySelector('[data-testid=query-state]').textContent).runs > n,
        runsBefore
      );
      const alert = editor.getByRole('alert');
      await alert.waitFor();
      const text = await alert.textContent();
      expect(text.includes("Line 2, column 6: unknown table 'lgs'"), 'alert: ' + text);
      expect((await editor.getByTestId('hql-error-mark').textContent()) === 'lgs', 'mark is not on lgs');
      await shot(page, 'query-editor-hql-error.png', editor);
    });

    await check('page raised no errors', async () => {
      expect(errors.length === 0, errors.join('\n'));
    });
    await shot(page, 'editors-full-page.png');
    await page.close();

    const failing = await openHarness(browser, base, '?failSave=1');
    await check('a refused retention save changes nothing and says why', async () => {
      const cfg = failing.page.getByTestId('config-host');
      const metrics = cfg.getByLabel('metrics raw retention days');
      await metrics.waitFor();
      await metrics.fill('120');
      await cfg.getByRole('button', { name: 'Save retention' }).click();
      await cfg.getByText('Retention not changed: the server refused: storage is read-only').waitFor();
      const stored = await failing.page.evaluate(() => window.harnessState.retention);
      expect(JSON.stringify(stored).includes('"ttl_days":90'), 'server state changed: ' + JSON.stringify(stored));
      await shot(failing.page, 'config-editor-retention-error.png', cfg);
      await cfg.getByRole('button', { name: 'Discard changes' }).click();
      expect((await metrics.inputValue()) === '90', 'discard did not restore 90');
    });
  } finally {
    await browser.close();
    server.close();
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
