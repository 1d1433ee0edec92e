// Bad requests get HubSpot-shaped errors (status "error", message, correlationId, category) with
// a 4xx status, never a 500, and the server keeps serving afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertHubSpotError, expectApiError, makeClient, raw, startEmulator } from './harness.mjs';

let emu;
let client;

before(async () => {
  emu = await startEmulator(['--empty']);
  client = makeClient(emu);
});
after(async () => {
  await emu?.stop();
});

async function stillServing(what) {
  const res = await raw(emu, 'GET', '/crm/v3/objects/contacts?limit=1');
  assert.equal(res.status, 200, `server stopped serving after ${what}: ${res.status} ${res.text.slice(0, 200)}`);
}

describe('through the client', () => {
  const cases = [
    ['unknown object type (list)', 400, (c) => c.crm.objects.basicApi.getPage('widgets', 10)],
    ['unknown object type (create)', 400, (c) => c.crm.objects.basicApi.create('widgets', { properties: { a: 'b' }, associations: [] })],
    ['unknown object type (search)', 400, (c) => c.crm.objects.searchApi.doSearch('widgets', { filterGroups: [] })],
    ['unknown record id', 404, (c) => c.crm.contacts.basicApi.getById('123456789')],
    ['update of an unknown record', 404, (c) => c.crm.companies.basicApi.update('123456789', { properties: { name: 'x' } })],
    ['bad filter operator', 400, (c) => c.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'email', operator: 'LIKE', value: 'x' }] }] })],
    ['too many filter groups (6)', 400, (c) => c.crm.contacts.searchApi.doSearch({
      filterGroups: Array.from({ length: 6 }, (_, i) => ({ filters: [{ propertyName: 'firstname', operator: 'EQ', value: `n${i}` }] })) })],
    ['search query over 3,000 characters', 400, (c) => c.crm.contacts.searchApi.doSearch({ query: 'x'.repeat(3001), filterGroups: [] })],
    ['over-limit batch (101 inputs)', 400, (c) => c.crm.contacts.batchApi.create({
      inputs: Array.from({ length: 101 }, (_, i) => ({ properties: { email: `e${i}@x.example` }, associations: [] })) })],
    ['batch read of an unknown type', 400, (c) => c.crm.objects.batchApi.read('widgets', { inputs: [{ id: '1' }], properties: [], propertiesWithHistory: [] })],
    ['property of an unknown type', 400, (c) => c.crm.properties.coreApi.getAll('widgets')],
  ];
  for (const [what, status, call] of cases) {
    test(`${what} -> ${status}`, async () => {
      const err = await expectApiError(call(client), status, what);
      assertHubSpotError(err.body, what);
      await stillServing(what);
    });
  }

  test('a wrong token is 401', async () => {
    const bad = makeClient({ ...emu, token: 'not-the-token' });
    const err = await expectApiError(bad.crm.contacts.basicApi.getPage(1), 401, 'wrong token');
    assertHubSpotError(err.body, 'wrong token');
  });
});

describe('raw requests the client cannot send', () => {
  const cases = [
    ['malformed JSON', 'POST', '/crm/v3/objects/contacts', '{"properties": {"email": '],
    ['malformed JSON to search', 'POST', '/crm/v3/objects/contacts/search', '{"filterGroups": [}'],
    ['malformed JSON to batch', 'POST', '/crm/v3/objects/contacts/batch/read', 'not json at all'],
    ['a JSON array where an object belongs', 'POST', '/crm/v3/objects/contacts', '[1, 2, 3]'],
    ['properties that are not an object', 'POST', '/crm/v3/objects/contacts', '{"properties": "email"}'],
    ['batch inputs that are not an array', 'POST', '/crm/v3/objects/contacts/batch/create', '{"inputs": {"a": 1}}'],
    ['limit that is not a number', 'GET', '/crm/v3/objects/contacts?limit=ten'],
    ['unknown object type', 'GET', '/crm/v3/objects/widgets'],
  ];
  for (const [what, method, path, body] of cases) {
    test(`${what} -> 400`, async () => {
      const res = await raw(emu, method, path, { body });
      assert.ok(res.status < 500, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
      assert.equal(res.status, 400, `${what}: ${res.text.slice(0, 300)}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${what}: content-type`);
      assertHubSpotError(res.json, what, { rawBody: true });
      await stillServing(what);
    });
  }

  // What HubSpot answers here is undocumented; whatever the emulator answers must not be a 5xx.
  const edge = [
    ['search limit over 200', '/crm/v3/objects/contacts/search', { filterGroups: [], limit: 201 }],
    ['BETWEEN without highValue', '/crm/v3/objects/deals/search',
      { filterGroups: [{ filters: [{ propertyName: 'amount', operator: 'BETWEEN', value: '1' }] }] }],
    ['filter on an unknown property', '/crm/v3/objects/contacts/search',
      { filterGroups: [{ filters: [{ propertyName: 'no_such_prop', operator: 'EQ', value: '1' }] }] }],
    ['sort on an unknown property', '/crm/v3/objects/contacts/search', { sorts: [{ propertyName: 'no_such_prop', direction: 'ASCENDING' }] }],
    ['empty search body', '/crm/v3/objects/contacts/search', ''],
    ['empty batch inputs', '/crm/v3/objects/contacts/batch/read', { inputs: [] }],
    ['upsert without idProperty', '/crm/v3/objects/contacts/batch/upsert', { inputs: [{ id: 'a@b.example', properties: {} }] }],
  ];
  for (const [what, path, body] of edge) {
    test(`${what}: not a 5xx`, async () => {
      const res = await raw(emu, 'POST', path, { body });
      assert.ok(res.status < 500, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
      if (res.status >= 400) assertHubSpotError(res.json, what, { rawBody: true });
      await stillServing(what);
    });
  }

  test('no Authorization header is 401', async () => {
    const res = await raw(emu, 'GET', '/crm/v3/objects/contacts', { token: null });
    assert.equal(res.status, 401, res.text);
    assertHubSpotError(res.json, 'no token', { rawBody: true });
  });

  test('each error has its own correlationId', async () => {
    const a = await raw(emu, 'GET', '/crm/v3/objects/widgets');
    const b = await raw(emu, 'GET', '/crm/v3/objects/widgets');
    assert.notEqual(a.json.correlationId, b.json.correlationId);
  });

  test('the server still serves writes after all of the above', async () => {
    const c = await client.crm.contacts.basicApi.create({ properties: { email: 'after-errors@example.com' }, associations: [] });
    const r = await client.crm.contacts.basicApi.getById(c.id, ['email']);
    assert.equal(r.properties.email, 'after-errors@example.com');
  });
});
