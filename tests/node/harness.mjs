// Shared harness for the official-client tests: start `revlens emulator serve` on a free port,
// build an @hubspot/api-client Client pointed at it, raw requests for what the client has no API
// for, and assertions on HubSpot's error shape.
//
// Every test file starts its own emulator (port 0, 127.0.0.1 only) and stops it in `after`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@hubspot/api-client';

/// The token the emulator accepts unless `--token` says otherwise.
export const DEFAULT_TOKEN = 'revlens-emulator-token';
/// The generated `small` portal every read-only test uses (deterministic).
export const SMALL_PORTAL = ['--size', 'small', '--seed', '7', '--anchor-date', '2026-06-30'];
/// HubSpot's default app id in the emulator's portal (store.hpp Portal::app_id).
export const DEFAULT_APP_ID = 1000001;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/// Path of the revlens binary: REVLENS_BIN (set by ctest), else the default `make` output.
export function revlensBin() {
  const bin = process.env.REVLENS_BIN ?? fileURLToPath(new URL('../../build/revlens', import.meta.url));
  if (!existsSync(bin)) {
    throw new Error(`revlens binary not found at ${bin}: build it, or set REVLENS_BIN to its path`);
  }
  return bin;
}

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/// Start `revlens emulator serve --port 0 --json <args>` and wait for its start-up summary
/// (the first stdout line: {url, portalId, counts, ...}). Resolves to
/// {url, token, summary, port, stop(), stderrTail()}.
export async function startEmulator(args = ['--empty'], { token = DEFAULT_TOKEN, timeoutMs = 120_000 } = {}) {
  const argv = ['emulator', 'serve', '--host', '127.0.0.1', '--port', '0', '--json', ...args];
  if (token !== DEFAULT_TOKEN) argv.push('--token', token);
  const child = spawn(revlensBin(), argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-8192);  // keep the tail for diagnostics; always drain the pipe
  });
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  const summary = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`emulator did not print its summary within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      if (buf === null) return;  // summary already read; keep draining
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = null;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line));
      } catch (e) {
        child.kill('SIGKILL');
        reject(new Error(`emulator's first stdout line is not JSON (${e.message}): ${line.slice(0, 300)}`));
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited (code ${code}, signal ${signal}) before serving: ${argv.join(' ')}\n${stderr}`));
    });
  });
  assert.match(summary.url, /^http:\/\/127\.0\.0\.1:\d+$/, `summary.url: ${JSON.stringify(summary)}`);

  return {
    url: summary.url,
    port: Number(new URL(summary.url).port),
    token,
    summary,
    stderrTail: () => stderr,
    /// SIGTERM, then SIGKILL after 5 s; resolves to {code, signal}.
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}

/// The official client pointed at the emulator. `numberOfApiCallRetries: 0` so every HubSpot
/// error reaches the test as it was sent. Two quirks of @hubspot/api-client 13.x: its decorators
/// (retries, limiter) live in a process-wide singleton, applied when an API object is first
/// touched, so a test file should use one retry setting throughout; and config-level
/// `middleware` / `defaultHeaders` never reach the generated APIs (only call-time middleware,
/// the last argument of each method, does).
export function makeClient(emu, extra = {}) {
  return new Client({ accessToken: emu.token, basePath: emu.url, numberOfApiCallRetries: 0, ...extra });
}

/// A raw request (for what the client has no API for, or cannot send, like malformed JSON).
/// `body`: a string is sent as is, anything else as JSON. Resolves to {status, headers, text, json}.
export async function raw(emu, method, path, { body, headers = {}, token = emu.token } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
  }
  const res = await fetch(emu.url + path, { method, headers: h, body: payload });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/// Await a client call that must fail with HTTP `status`; returns the ApiException
/// ({code, body, headers}).
export async function expectApiError(promise, status, what) {
  let value;
  try {
    value = await promise;
  } catch (err) {
    assert.equal(typeof err.code, 'number', `${what}: not an ApiException: ${err.stack}`);
    assert.equal(err.code, status, `${what}: expected HTTP ${status}, got ${err.code}: ${String(err.message).slice(0, 800)}`);
    return err;
  }
  assert.fail(`${what}: expected HTTP ${status}, but the call succeeded: ${JSON.stringify(value)?.slice(0, 500)}`);
}

/// HubSpot's error body (hubspot-api-notes.md section 9): message, correlationId (UUID) and
/// category are required. `rawBody` also has status "error" (the client's Error model drops it).
export function assertHubSpotError(body, what, { category, rawBody = false } = {}) {
  assert.ok(body && typeof body === 'object', `${what}: error body is not a JSON object: ${JSON.stringify(body)}`);
  assert.equal(typeof body.message, 'string', `${what}: error body lacks message: ${JSON.stringify(body)}`);
  assert.ok(body.message.length > 0, `${what}: empty message`);
  assert.match(String(body.correlationId), UUID_RE, `${what}: correlationId is not a UUID: ${JSON.stringify(body)}`);
  assert.equal(typeof body.category, 'string', `${what}: error body lacks category: ${JSON.stringify(body)}`);
  if (category) assert.equal(body.category, category, `${what}: category`);
  if (rawBody) assert.equal(body.status, 'error', `${what}: status field`);
}

/// Page through a basicApi.getPage (any object type) the way the client's own getAll does.
export async function pageAll(basicApi, { limit = 100, properties, propertiesWithHistory, associations, archived } = {}) {
  const out = [];
  let after;
  let pages = 0;
  do {
    const page = await basicApi.getPage(limit, after, properties, propertiesWithHistory, associations, archived);
    out.push(...page.results);
    after = page.paging?.next?.after;
    pages += 1;
    assert.ok(pages < 100_000, 'paging does not end');
  } while (after);
  return out;
}

/// The client's API group for an object type name (contacts, companies, deals, calls, ...).
export function objectApi(client, type) {
  switch (type) {
    case 'contacts': return client.crm.contacts;
    case 'companies': return client.crm.companies;
    case 'deals': return client.crm.deals;
    case 'calls': return client.crm.objects.calls;
    case 'emails': return client.crm.objects.emails;
    case 'meetings': return client.crm.objects.meetings;
    case 'notes': return client.crm.objects.notes;
    case 'tasks': return client.crm.objects.tasks;
    default: throw new Error(`no client API for ${type}`);
  }
}

export const ENGAGEMENT_TYPES = ['calls', 'emails', 'meetings', 'notes', 'tasks'];

/// Resolves after `ms` milliseconds.
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/// A valid Date (the client turns ISO strings into Date objects; a bad string gives Invalid Date).
export function assertDate(d, what) {
  assert.ok(d instanceof Date, `${what}: not a Date: ${JSON.stringify(d)}`);
  assert.ok(!Number.isNaN(d.getTime()), `${what}: invalid date`);
}

/// Wait until `fn()` returns a truthy value (polled every 50 ms), or fail after `timeoutMs`.
export async function waitFor(fn, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}
