// `revlens dashboard` in a real browser: playwright-core driving Debian's Chromium (/usr/bin/chromium; never a
// downloaded browser) over a small synthetic portal with every product run on it. Opens every page, sees charts
// render (a canvas in each chart) with no console error and no request leaving the dashboard, switches a filter and
// sees the figures change, and saves the screenshot the README shows (REVLENS_SCREENSHOT, default docs/dashboard.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.REVLENS_BIN || resolve(here, '../../build/revlens');
const chromiumPath = process.env.REVLENS_CHROMIUM || '/usr/bin/chromium';
const screenshot = process.env.REVLENS_SCREENSHOT || resolve(here, '../../docs/dashboard.png');
const PAGES = ['overview', 'icp', 'leads', 'competitive', 'activity', 'health'];

let work, server, baseUrl, context;

function run(...args) {
  execFileSync(bin, args, { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120000 });
}

before(async () => {
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install chromium (deps/apt.txt)`);
  assert.ok(existsSync(bin), `${bin} is missing: build revlens first`);
  work = mkdtempSync(join(tmpdir(), 'revlens-browser-'));
  const wh = `duckdb://${join(work, 'dash.duckdb')}`;
  // The demo runs the nightly job (sync, build, every product with the forecast backtest, alerts to a local sink);
  // the small portal has too few conversions for a usable lead model, so score it anyway (marked unusable).
  run('demo', '--size', 'small', '--seed', '3', '--anchor-date', '2026-06-30', '--warehouse', wh);
  run('score', '--warehouse', wh, '--force');

  server = spawn(bin, ['dashboard', '--warehouse', wh, '--port', '0', '--json', '--goal', '1500000'], {
    cwd: work, stdio: ['ignore', 'pipe', 'inherit'],
  });
  baseUrl = await new Promise((ok, fail) => {
    let buf = '';
    server.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) ok(JSON.parse(buf.slice(0, nl)).url);
    });
    server.on('exit', (code) => fail(new Error(`revlens dashboard exited with ${code}`)));
  });

  // An empty profile directory and no background traffic: the browser talks to the dashboard and nothing else.
  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (context) await context.close();
  if (server) server.kill('SIGTERM');
  if (work) rmSync(work, { recursive: true, force: true });
});

/// Open a page and wait for its data to render; collect console errors and any request that leaves the dashboard.
async function open(page, name, query = '') {
  await page.goto(`${baseUrl}/#${name}${query}`);
  await page.waitForSelector(`body[data-loaded="${name}"], body[data-loaded="error"]`, { timeout: 15000 });
  assert.equal(await page.getAttribute('body', 'data-loaded'), name, await page.textContent('#page'));
}

test('every page renders its charts with no console error and no outside request', async () => {
  const page = await context.newPage();
  const errors = [];
  const outside = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith(baseUrl) && !r.url().startsWith('data:')) outside.push(r.url()); });
  const started = Date.now();
  for (const name of PAGES) {
    const t0 = Date.now();
    await open(page, name);
    const ms = Date.now() - t0;
    const charts = await page.$$eval('#page .chart', (els) => els.length);
    const drawn = await page.$$eval('#page .chart canvas', (els) => els.filter((c) => c.width > 0 && c.height > 0).length);
    const tables = await page.$$eval('#page table', (els) => els.length);
    console.log(`${name}: ${charts} charts (${drawn} canvases), ${tables} tables, ${ms} ms`);
    if (process.env.REVLENS_SCREENSHOT_DIR) await page.screenshot({ path: join(process.env.REVLENS_SCREENSHOT_DIR, `${name}.png`), fullPage: true });
    if (name !== 'health') {
      assert.ok(charts > 0, `${name}: no chart`);
      assert.ok(drawn >= charts, `${name}: ${charts} charts but ${drawn} canvases drawn`);
    } else {
      assert.ok(tables >= 4, `${name}: expected its tables`);
    }
    // Panels whose tables do not exist say so rather than showing anything made up.
    const missing = await page.$$eval('#page .missing', (els) => els.map((e) => e.textContent));
    for (const m of missing) assert.match(m, /not available yet — run revlens \w+/);
  }
  const activity = await (async () => { await open(page, 'activity'); return page.textContent('#page'); })();
  assert.match(activity, /not available yet — run revlens activity|activity_/);
  console.log(`all pages: ${Date.now() - started} ms`);
  assert.deepEqual(errors, []);
  assert.deepEqual(outside, []);
  await page.close();
});

test('switching a filter changes the figures, and the screenshot is saved', async () => {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await open(page, 'overview', '?period=all');
  const kpi = () => page.$$eval('.kpi .v', (els) => els.map((e) => e.textContent));
  const before = await kpi();
  const pipelines = await page.$$eval('#f-pipeline option', (els) => els.map((o) => o.value).filter((v) => v));
  assert.ok(pipelines.length >= 2, 'expected two pipelines');
  await page.selectOption('#f-pipeline', pipelines[1]);
  await page.waitForFunction((p) => window.location.hash.includes(`pipeline=${p}`), pipelines[1]);
  // The figures change once the filtered page has rendered (the filter is a real partition: each pipeline is less).
  await page.waitForFunction((prev) => document.body.dataset.loaded === 'overview' &&
    JSON.stringify([...document.querySelectorAll('.kpi .v')].map((e) => e.textContent)) !== prev, JSON.stringify(before),
  { timeout: 15000 });
  const after = await kpi();
  assert.notDeepEqual(after, before, 'the pipeline filter did not change the figures');
  assert.ok(await page.$$eval('#page .chart canvas', (els) => els.length) > 0);
  // The README's screenshot: the overview of every pipeline in the current quarter, in a fresh page.
  const shot = await context.newPage();
  shot.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await open(shot, 'overview');
  mkdirSync(dirname(screenshot), { recursive: true });
  await shot.screenshot({ path: screenshot, fullPage: true });
  await shot.close();
  assert.ok(existsSync(screenshot));
  assert.deepEqual(errors, []);
  await page.close();
});
