// Webhooks: subscriptions made through the official client's webhooks API, CRM changes made
// through its CRM API, and every delivery to a local receiver verified with the client's own
// Signature.isValid (v3, and v1), which also rejects a tampered body and an old timestamp.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Client, Signature } from '@hubspot/api-client';
import { DEFAULT_APP_ID, assertDate, assertHubSpotError, expectApiError, makeClient, raw, startEmulator, waitFor } from './harness.mjs';

const SECRET = 'node-test-client-secret';
let emu;
let client;
let hooks;      // the client's webhooks API group
let receiver;
let hookUrl;
let appId;
let bearer;  // call-time options carrying the bearer token
const deliveries = [];  // {method, path, headers, body, at}
const subs = {};

before(async () => {
  receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ method: req.method, path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      res.writeHead(200).end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
  emu = await startEmulator(['--empty', '--webhook-url', hookUrl, '--client-secret', SECRET]);
  client = makeClient(emu);
  // The client authenticates webhooks calls with a developer API key (?hapikey=) only; the
  // emulator takes the CRM bearer token. @hubspot/api-client 13.x ignores config-level
  // middleware and defaultHeaders for codegen APIs, so the header goes in as call-time middleware.
  hooks = new Client({ basePath: emu.url, numberOfApiCallRetries: 0 }).webhooks;
  bearer = { middleware: [{ pre: async (ctx) => { ctx.setHeaderParam('Authorization', `Bearer ${emu.token}`); return ctx; }, post: async (rsp) => rsp }] };
  appId = emu.summary.appId ?? DEFAULT_APP_ID;
});
after(async () => {
  await emu?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

/// Wait for the emulator's webhook queue to drain (admin route, no auth).
async function flush() {
  const res = await raw(emu, 'POST', '/_emulator/webhooks/flush?timeoutMs=10000', { token: null });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.flushed, true, `webhook queue did not drain: ${res.text}`);
}

/// Parsed events of every delivery so far, each with its delivery.
function events() {
  return deliveries.flatMap((d) => JSON.parse(d.body).map((e) => ({ ...e, delivery: d })));
}

describe('subscriptions (client.webhooks.subscriptionsApi)', () => {
  test('without the token: 401', async () => {
    const err = await expectApiError(hooks.subscriptionsApi.getAll(appId), 401, 'webhooks API without a token');
    assertHubSpotError(err.body, 'webhooks API without a token');
  });

  test('create, list, get', async () => {
    const created = await hooks.subscriptionsApi.create(appId, { eventType: 'contact.creation', active: true }, bearer);
    assert.equal(created.eventType, 'contact.creation');
    assert.equal(created.active, true);
    assert.ok(created.id !== undefined && String(created.id).length > 0, 'subscription id');
    assertDate(created.createdAt, 'subscription createdAt');
    subs.creation = created;
    subs.change = await hooks.subscriptionsApi.create(appId, { eventType: 'contact.propertyChange', propertyName: 'firstname', active: true }, bearer);
    assert.equal(subs.change.propertyName, 'firstname');

    const all = await hooks.subscriptionsApi.getAll(appId, bearer);
    const ids = all.results.map((s) => String(s.id));
    assert.ok(ids.includes(String(subs.creation.id)) && ids.includes(String(subs.change.id)), `listed: ${ids}`);
    const one = await hooks.subscriptionsApi.getById(Number(subs.change.id), appId, bearer);
    assert.equal(one.eventType, 'contact.propertyChange');
    assert.equal(one.propertyName, 'firstname');
  });
});

describe('deliveries', () => {
  let contactId;

  test('creating and updating a contact delivers signed events', async () => {
    const c = await client.crm.contacts.basicApi.create({ properties: { email: `hook.${Date.now()}@example.com`, firstname: 'Ada' }, associations: [] });
    contactId = Number(c.id);
    await client.crm.contacts.basicApi.update(c.id, { properties: { lastname: 'Byron' } });  // not subscribed
    await client.crm.contacts.basicApi.update(c.id, { properties: { firstname: 'Grace' } });

    const creation = await waitFor(() => events().find((e) => e.subscriptionType === 'contact.creation' && e.objectId === contactId),
      'the contact.creation event');
    const change = await waitFor(() => events().find((e) => e.subscriptionType === 'contact.propertyChange' && e.objectId === contactId
      && e.propertyName === 'firstname' && e.propertyValue === 'Grace'), 'the firstname propertyChange event');
    await flush();  // every queued event delivered before checking what must not be there

    for (const e of [creation, change]) {
      assert.equal(e.portalId, emu.summary.portalId, 'portalId');
      assert.equal(e.appId, appId, 'appId');
      assert.equal(typeof e.eventId, 'number');
      assert.equal(typeof e.occurredAt, 'number');
      assert.ok(Math.abs(e.occurredAt - Date.now()) < 60_000, `occurredAt ${e.occurredAt} is not epoch ms of now`);
      assert.equal(e.attemptNumber, 0);
      assert.equal(typeof e.changeSource, 'string');
    }
    assert.equal(String(creation.subscriptionId), String(subs.creation.id));
    assert.equal(String(change.subscriptionId), String(subs.change.id));
    assert.ok(!events().some((e) => e.propertyName === 'lastname'), 'a change to an unsubscribed property was delivered');
  });

  test('every delivery verifies with Signature.isValid (v3 and v1)', () => {
    assert.ok(deliveries.length > 0);
    for (const d of deliveries) {
      assert.equal(d.method, 'POST');
      assert.equal(d.path, '/hook');
      assert.match(String(d.headers['content-type']), /^application\/json/);
      const body = JSON.parse(d.body);
      assert.ok(Array.isArray(body) && body.length > 0 && body.length < 100, 'payload is an array of < 100 events');
      const timestamp = Number(d.headers['x-hubspot-request-timestamp']);
      assert.ok(Number.isInteger(timestamp) && Math.abs(timestamp - d.at) < 60_000, `X-HubSpot-Request-Timestamp ${d.headers['x-hubspot-request-timestamp']}`);
      const v3 = {
        signatureVersion: 'v3', signature: d.headers['x-hubspot-signature-v3'], method: 'POST', url: hookUrl,
        requestBody: d.body, timestamp, clientSecret: SECRET,
      };
      assert.equal(Signature.isValid(v3), true, `v3 signature of ${d.body.slice(0, 200)}`);
      assert.equal(Signature.isValid({ ...v3, clientSecret: 'wrong-secret' }), false, 'v3 verifies with the wrong secret');
      assert.equal(Signature.isValid({ ...v3, requestBody: d.body.replace('"objectId":', '"objectId": ') }), false, 'tampered body verifies');
      assert.equal(Signature.isValid({ ...v3, requestBody: `${d.body} ` }), false, 'body with an extra byte verifies');
      // The client refuses a v3 timestamp older than 5 minutes outright.
      assert.throws(() => Signature.isValid({ ...v3, timestamp: timestamp - 301_000 }), /Timestamp is invalid/);
      assert.equal(Signature.isValid({ ...v3, timestamp: timestamp - 1 }), false, 'v3 verifies with another timestamp');

      assert.equal(d.headers['x-hubspot-signature-version'], 'v1', 'CRM webhooks are signed v1 in X-HubSpot-Signature');
      const v1 = { signatureVersion: 'v1', signature: d.headers['x-hubspot-signature'], requestBody: d.body, clientSecret: SECRET };
      assert.equal(Signature.isValid(v1), true, 'v1 signature');
      assert.equal(Signature.isValid({ ...v1, requestBody: `${d.body} ` }), false, 'tampered body verifies (v1)');
    }
  });

  test('an inactive subscription stops deliveries; archive removes it', async () => {
    await hooks.subscriptionsApi.update(Number(subs.change.id), appId, { active: false }, bearer);
    const n = deliveries.length;
    await client.crm.contacts.basicApi.update(String(contactId), { properties: { firstname: 'Hopper' } });
    await flush();
    assert.ok(!events().some((e) => e.propertyValue === 'Hopper'), 'delivered for an inactive subscription');
    assert.equal(deliveries.length, n);
    await hooks.subscriptionsApi.archive(Number(subs.change.id), appId, bearer);
    const all = await hooks.subscriptionsApi.getAll(appId, bearer);
    assert.ok(!all.results.some((s) => String(s.id) === String(subs.change.id)), 'archived subscription still listed');
  });
});
