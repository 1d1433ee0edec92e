// Batch endpoints through the official client: create / read / update / upsert / archive, a
// partial failure (207 with that input's error, the others applied) and the 100-input limit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertDate, assertHubSpotError, expectApiError, makeClient, startEmulator } from './harness.mjs';

let emu;
let client;
let batch;
const run = Date.now();
const email = (i) => `batch${i}.${run}@example.com`;
let created = [];  // SimplePublicObject, sorted by email index

before(async () => {
  emu = await startEmulator(['--empty']);
  client = makeClient(emu);
  batch = client.crm.contacts.batchApi;
});
after(async () => {
  await emu?.stop();
});

describe('contacts batch API', () => {
  test('create: 201, every input created', async () => {
    const inputs = [0, 1, 2, 3].map((i) => ({
      properties: { email: email(i), firstname: `First${i}`, lifecyclestage: 'lead' },
      associations: [],
      objectWriteTraceId: `trace-${i}`,
    }));
    const res = await batch.createWithHttpInfo({ inputs });
    assert.equal(res.httpStatusCode, 201);
    const body = res.data;
    assert.equal(body.status, 'COMPLETE');
    assertDate(body.startedAt, 'startedAt');
    assertDate(body.completedAt, 'completedAt');
    assert.equal(body.results.length, 4);
    assert.equal(body.errors, undefined, 'no errors on a clean batch');
    created = [...body.results].sort((a, b) => a.properties.email.localeCompare(b.properties.email));
    for (const [i, r] of created.entries()) {
      assert.equal(r.properties.email, email(i));
      assert.equal(r.properties.firstname, `First${i}`);
      assert.match(r.id, /^\d+$/);
      assertDate(r.createdAt, 'createdAt');
    }
    assert.equal(new Set(created.map((r) => r.id)).size, 4);
  });

  test('read: by id with properties, and by email with idProperty', async () => {
    const ids = created.map((r) => r.id);
    const res = await batch.readWithHttpInfo({ inputs: ids.map((id) => ({ id })), properties: ['email', 'firstname'], propertiesWithHistory: [] });
    assert.equal(res.httpStatusCode, 200);
    assert.deepEqual(res.data.results.map((r) => r.id).sort(), [...ids].sort());
    for (const r of res.data.results) assert.ok(r.properties.email.startsWith('batch'));

    const byEmail = await batch.read({
      inputs: [{ id: email(2) }, { id: email(3) }], idProperty: 'email', properties: ['email'], propertiesWithHistory: [],
    });
    const m = new Map(byEmail.results.map((r) => [r.properties.email, r.id]));
    assert.equal(m.get(email(2)), created[2].id);
    assert.equal(m.get(email(3)), created[3].id);
  });

  test('read: a missing id gives 207 with that id in the error', async () => {
    const res = await batch.readWithHttpInfo({
      inputs: [{ id: created[0].id }, { id: '987654321' }], properties: ['email'], propertiesWithHistory: [],
    });
    assert.equal(res.httpStatusCode, 207);
    assert.deepEqual(res.data.results.map((r) => r.id), [created[0].id]);
    assert.equal(res.data.numErrors, 1);
    assert.ok(JSON.stringify(res.data.errors[0]).includes('987654321'), `error names the id: ${JSON.stringify(res.data.errors)}`);
  });

  test('update: one bad input gives 207, the others applied', async () => {
    const inputs = [
      { id: created[0].id, properties: { firstname: 'Updated0' } },
      { id: '987654321', properties: { firstname: 'Ghost' } },
      { id: created[1].id, properties: { firstname: 'Updated1' } },
    ];
    const res = await batch.updateWithHttpInfo({ inputs });
    assert.equal(res.httpStatusCode, 207, 'partial failure is a 207 Multi-Status');
    const body = res.data;
    assert.equal(body.numErrors, 1);
    assert.equal(body.errors.length, 1);
    const e = body.errors[0];
    assert.equal(typeof e.message, 'string');
    assert.equal(typeof e.category, 'string');
    assert.equal(e.status, 'error');
    assert.ok(JSON.stringify(e).includes('987654321'), `the error names the bad input: ${JSON.stringify(e)}`);
    assert.deepEqual(body.results.map((r) => r.id).sort(), [created[0].id, created[1].id].sort());
    for (const r of body.results) assert.match(r.properties.firstname, /^Updated[01]$/);

    const after = await batch.read({ inputs: [{ id: created[0].id }, { id: created[1].id }], properties: ['firstname'], propertiesWithHistory: [] });
    const names = Object.fromEntries(after.results.map((r) => [r.id, r.properties.firstname]));
    assert.equal(names[created[0].id], 'Updated0');
    assert.equal(names[created[1].id], 'Updated1');
  });

  test('update: a clean batch is 200', async () => {
    const res = await batch.updateWithHttpInfo({ inputs: [{ id: created[2].id, properties: { lastname: 'Two' } }] });
    assert.equal(res.httpStatusCode, 200);
    assert.equal(res.data.results[0].properties.lastname, 'Two');
  });

  test('upsert by email: one existing, one new', async () => {
    const newEmail = email(9);
    const res = await batch.upsertWithHttpInfo({
      inputs: [
        { id: email(3), idProperty: 'email', properties: { firstname: 'Upserted3' } },
        { id: newEmail, idProperty: 'email', properties: { firstname: 'New9' } },
      ],
    });
    assert.equal(res.httpStatusCode, 200);
    const byEmail = new Map(res.data.results.map((r) => [r.properties.email, r]));
    const existing = byEmail.get(email(3));
    const fresh = byEmail.get(newEmail);
    assert.ok(existing && fresh, `upsert results by email: ${JSON.stringify(res.data.results)}`);
    assert.equal(existing.id, created[3].id);
    assert.equal(existing._new, false, 'existing record reported as new');
    assert.equal(existing.properties.firstname, 'Upserted3');
    assert.equal(fresh._new, true, 'created record not reported as new');
    const read = await client.crm.contacts.basicApi.getById(newEmail, ['firstname'], undefined, undefined, false, 'email');
    assert.equal(read.id, fresh.id);
    assert.equal(read.properties.firstname, 'New9');
  });

  test('archive: 204, then gone from reads and listed as archived', async () => {
    const ids = [created[0].id, created[1].id];
    const res = await batch.archiveWithHttpInfo({ inputs: ids.map((id) => ({ id })) });
    assert.equal(res.httpStatusCode, 204);
    for (const id of ids) {
      await expectApiError(client.crm.contacts.basicApi.getById(id), 404, `GET archived contact ${id}`);
    }
    const archived = await batch.read({ inputs: ids.map((id) => ({ id })), properties: ['email'], propertiesWithHistory: [] }, true);
    assert.deepEqual(archived.results.map((r) => r.id).sort(), [...ids].sort());
    for (const r of archived.results) assert.equal(r.archived, true);
  });

  test('other object types: companies batch create and read', async () => {
    const res = await client.crm.companies.batchApi.create({
      inputs: [{ properties: { name: 'Acme', domain: 'acme.example' }, associations: [] },
        { properties: { name: 'Globex', domain: 'globex.example' }, associations: [] }],
    });
    assert.equal(res.results.length, 2);
    const read = await client.crm.companies.batchApi.read({ inputs: res.results.map((r) => ({ id: r.id })), properties: ['name', 'domain'], propertiesWithHistory: [] });
    assert.deepEqual(read.results.map((r) => r.properties.name).sort(), ['Acme', 'Globex']);
  });
});

describe('batch limit: 100 inputs', () => {
  test('create with 100 inputs succeeds', async () => {
    const inputs = Array.from({ length: 100 }, (_, i) => ({ properties: { email: `hundred${i}.${run}@example.com` }, associations: [] }));
    const res = await batch.create({ inputs });
    assert.equal(res.results.length, 100);
  });

  test('create with 101 inputs is a 400 HubSpot error, nothing created', async () => {
    const inputs = Array.from({ length: 101 }, (_, i) => ({ properties: { email: `over${i}.${run}@example.com` }, associations: [] }));
    const err = await expectApiError(batch.create({ inputs }), 400, 'batch create with 101 inputs');
    assertHubSpotError(err.body, 'batch create with 101 inputs', { category: 'VALIDATION_ERROR' });
    await expectApiError(
      client.crm.contacts.basicApi.getById(`over0.${run}@example.com`, undefined, undefined, undefined, false, 'email'),
      404, 'contact from a rejected batch');
  });

  test('update and read with 101 inputs are 400', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => ({ id: String(i + 1) }));
    const e1 = await expectApiError(batch.update({ inputs: ids.map((x) => ({ ...x, properties: { firstname: 'x' } })) }), 400, 'batch update with 101 inputs');
    assertHubSpotError(e1.body, 'batch update with 101 inputs');
    const e2 = await expectApiError(batch.read({ inputs: ids, properties: [], propertiesWithHistory: [] }), 400, 'batch read with 101 inputs');
    assertHubSpotError(e2.body, 'batch read with 101 inputs');
  });
});
