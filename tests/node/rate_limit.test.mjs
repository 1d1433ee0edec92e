// Rate limits on the `free` tier (100 requests per rolling 10 s, 250,000 per day): a burst past
// the limit gets HubSpot's 429 (policyName TEN_SECONDLY_ROLLING) with the X-HubSpot-RateLimit-*
// headers, as the official client surfaces them (ApiException code / body / headers).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULT_LIMITER_OPTIONS } from '@hubspot/api-client';
import { assertHubSpotError, makeClient, startEmulator } from './harness.mjs';

let emu;
let client;

before(async () => {
  emu = await startEmulator(['--empty', '--rate-limit', 'free']);
  client = makeClient(emu);
});
after(async () => {
  await emu?.stop();
});

const BURST = 130;
// Six requests in flight at a time, as the client's own default limiter allows
// (DEFAULT_LIMITER_OPTIONS.maxConcurrent = 6): a burst through a few keep-alive connections.
const LANES = 6;

/// Run `n` calls of `fn` with `LANES` in flight; resolves to Promise.allSettled-style outcomes.
async function burst(n, fn) {
  const outcomes = [];
  let next = 0;
  const lane = async () => {
    while (next < n) {
      next += 1;
      try {
        outcomes.push({ status: 'fulfilled', value: await fn() });
      } catch (reason) {
        outcomes.push({ status: 'rejected', reason });
      }
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  return outcomes;
}

test('the client limiter default this test mimics', () => {
  assert.equal(DEFAULT_LIMITER_OPTIONS.maxConcurrent, LANES);
});

test('a burst past 100 requests in 10 s gets 429 TEN_SECONDLY_ROLLING with rate-limit headers', async () => {
  const started = Date.now();
  const outcomes = await burst(BURST, () => client.crm.contacts.basicApi.getPageWithHttpInfo(1));
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 10_000, `the burst took ${elapsed} ms, longer than the 10 s window`);

  const ok = outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value);
  const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason);
  for (const e of refused) assert.equal(e.code, 429, `unexpected failure: ${String(e.message).slice(0, 500)}`);
  assert.equal(ok.length, 100, `allowed ${ok.length} of ${BURST} (free tier: 100 per 10 s)`);
  assert.equal(refused.length, BURST - 100);

  // Allowed responses carry the headers too, Remaining counting down to 0.
  const remaining = ok.map((r) => Number(r.headers['x-hubspot-ratelimit-remaining'])).sort((a, b) => a - b);
  assert.deepEqual(remaining, Array.from({ length: 100 }, (_, i) => i), 'X-HubSpot-RateLimit-Remaining on allowed responses');
  for (const r of ok) {
    assert.equal(r.headers['x-hubspot-ratelimit-max'], '100');
    assert.equal(r.headers['x-hubspot-ratelimit-interval-milliseconds'], '10000');
  }

  for (const e of refused) {
    const h = e.headers;
    assert.equal(h['x-hubspot-ratelimit-max'], '100', `429 headers: ${JSON.stringify(h)}`);
    assert.equal(h['x-hubspot-ratelimit-remaining'], '0');
    assert.equal(h['x-hubspot-ratelimit-interval-milliseconds'], '10000');
    assert.equal(h['x-hubspot-ratelimit-daily'], '250000');
    const dailyRemaining = Number(h['x-hubspot-ratelimit-daily-remaining']);
    assert.ok(Number.isInteger(dailyRemaining) && dailyRemaining <= 250_000 - 100 && dailyRemaining >= 250_000 - BURST - 5,
      `X-HubSpot-RateLimit-Daily-Remaining ${h['x-hubspot-ratelimit-daily-remaining']}`);
    // The client hands the error body over as parsed JSON; its retry decorator keys on policyName.
    assert.equal(e.body.status, 'error');
    assert.equal(e.body.policyName, 'TEN_SECONDLY_ROLLING', `429 body: ${JSON.stringify(e.body)}`);
    assert.equal(e.body.errorType, 'RATE_LIMIT');
    assert.equal(typeof e.body.message, 'string');
    assert.match(String(e.body.correlationId), /^[0-9a-f-]{36}$/i);
  }

  // The same through the client's raw apiRequest.
  const res = await client.apiRequest({ method: 'GET', path: '/crm/v3/objects/contacts', qs: { limit: 1 } });
  assert.equal(res.status, 429, 'still limited right after the burst');
  const body = await res.json();
  assert.equal(body.status, 'error');
  assert.equal(body.policyName, 'TEN_SECONDLY_ROLLING');
  assert.equal(body.errorType, 'RATE_LIMIT');
  assert.equal(typeof body.message, 'string');
  assert.match(String(body.correlationId), /^[0-9a-f-]{36}$/i);
  assert.equal(res.headers.get('x-hubspot-ratelimit-max'), '100');
});

test('search is exempt from the 10-second window and has no rate-limit headers', async () => {
  const res = await client.crm.contacts.searchApi.doSearchWithHttpInfo({ filterGroups: [], limit: 1 });
  assert.equal(res.httpStatusCode, 200, 'search refused while only the ten-secondly window is exhausted');
  assert.equal(res.headers['x-hubspot-ratelimit-max'], undefined, 'search responses carry no X-HubSpot-RateLimit-* headers');
});

test('searches past the per-second search limit get 429 SECONDLY', async () => {
  const outcomes = await Promise.allSettled(
    Array.from({ length: 12 }, () => client.crm.contacts.searchApi.doSearch({ filterGroups: [], limit: 1 })));
  const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason);
  assert.ok(refused.length > 0, '12 simultaneous searches should exceed the per-second search limit');
  for (const e of refused) {
    assert.equal(e.code, 429, String(e.message).slice(0, 300));
    assertHubSpotError(e.body, 'search 429');
    // The client's retry decorator recognises this message and waits 1 s before retrying.
    assert.equal(e.body.message, 'You have reached your secondly limit.');
  }
});
