// Injected 5xx faults (30% of requests, seeded): the official client, with its own retries
// (numberOfApiCallRetries), still pages through every record with the right count.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeClient, raw, startEmulator } from './harness.mjs';

let emu;
let client;
const retried = [];  // statuses the client's retry decorator reported retrying

before(async () => {
  // --seed seeds both the generated portal and the fault draws.
  emu = await startEmulator(['--size', 'small', '--seed', '1', '--anchor-date', '2026-06-30', '--faults', '5xx=0.3']);
  // One client per process: the retry decorator is process-wide in @hubspot/api-client.
  // The client counts the first try in numberOfApiCallRetries (3 means three attempts per call),
  // so at a 30% fault rate a call fails outright with probability 0.3^3 = 2.7%, and a getAll of
  // ~25 pages fails about half the time (it did with 3, seed 1). 6, the client's maximum, makes
  // that 0.07% per call.
  client = makeClient(emu, { numberOfApiCallRetries: 6 });
  // The retry decorator reports each retry on console.error ("Request failed with status code
  // [503], will retry ..."): count them, so the test proves faults were injected and survived.
  const original = console.error;
  console.error = (...args) => {
    const m = /Request failed with status code \[(\d+)\]/.exec(String(args[0]));
    if (m) retried.push(Number(m[1]));
    else original(...args);
  };
});
after(async () => {
  await emu?.stop();
});

test('getAll completes with the right count despite 30% 5xx responses', async () => {
  const expected = emu.summary.counts.contacts;
  // Archived records are not listed; count them with the same client.
  const archived = [];
  let after;
  do {
    const page = await client.crm.contacts.basicApi.getPage(100, after, undefined, undefined, undefined, true);
    archived.push(...page.results);
    after = page.paging?.next?.after;
  } while (after);
  const records = await client.crm.contacts.getAll(100, undefined, ['email']);
  const ids = new Set(records.map((r) => r.id));
  assert.equal(ids.size, records.length, 'a record returned twice');
  assert.equal(records.length + archived.length, expected, `contacts: ${records.length} active + ${archived.length} archived`);

  assert.ok(retried.length > 0, 'no 5xx was injected: the test proved nothing');
  for (const s of retried) assert.ok(s >= 500 && s <= 599, `retried a ${s}`);
  const calls = Math.ceil(records.length / 100) + Math.max(1, Math.ceil(archived.length / 100));
  const share = retried.length / (calls + retried.length);
  // The emulator's own count (admin route, no auth) matches the faults the client retried.
  const injected = await raw(emu, 'GET', '/_emulator/faults', { token: null });
  assert.equal(injected.status, 200);
  const total = Object.values(injected.json.injected).reduce((a, b) => a + b, 0);
  assert.equal(total, retried.length, `injected ${JSON.stringify(injected.json)} vs retried ${retried.length}`);
  assert.ok(share > 0.1 && share < 0.5, `5xx share ${share.toFixed(2)} (${retried.length} of ${calls + retried.length} responses), configured 0.3`);
});
