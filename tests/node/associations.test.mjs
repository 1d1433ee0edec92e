// Associations v4 through the official client on the generated `small` portal: batch read,
// per-record read, create / archive (both directions), labels, and HubSpot's default type ids.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AssociationTypes } from '@hubspot/api-client';
import { SMALL_PORTAL, assertHubSpotError, expectApiError, makeClient, startEmulator } from './harness.mjs';

let emu;
let client;
let v4;
let contacts = [];
let companies = [];
let deals = [];

before(async () => {
  emu = await startEmulator(SMALL_PORTAL);
  client = makeClient(emu);
  v4 = client.crm.associations.v4;
  // v3 expansion gives the expected edges to compare v4 against.
  contacts = await client.crm.contacts.getAll(100, undefined, ['email'], undefined, ['companies', 'deals']);
  companies = await client.crm.companies.getAll(100, undefined, ['name']);
  deals = await client.crm.deals.getAll(100, undefined, ['dealname'], undefined, ['contacts', 'companies']);
});
after(async () => {
  await emu?.stop();
});

const v3Ids = (r, type) => [...new Set((r.associations?.[type]?.results ?? []).map((x) => x.id))].sort();

/// Every edge of one record via v4 basicApi.getPage, following paging.
async function v4Edges(fromType, id, toType, limit = 500) {
  const out = [];
  let after;
  do {
    const page = await v4.basicApi.getPage(fromType, id, toType, after, limit);
    out.push(...page.results);
    after = page.paging?.next?.after;
  } while (after);
  return out;
}

function typeIds(edge) {
  return edge.associationTypes.map((t) => t.typeId);
}

test("HubSpot's default type ids, as the client's AssociationTypes names them", () => {
  assert.equal(AssociationTypes.contactToCompany, 279);
  assert.equal(AssociationTypes.companyToContact, 280);
  assert.equal(AssociationTypes.dealToContact, 3);
  assert.equal(AssociationTypes.contactToDeal, 4);
  assert.equal(AssociationTypes.dealToCompany, 341);
});

describe('batch read (crm.associations.v4.batchApi.getPage)', () => {
  test('contacts -> companies: default type 279, same edges as the v3 expansion', async () => {
    const sample = contacts.filter((c) => v3Ids(c, 'companies').length > 0).slice(0, 50);
    assert.ok(sample.length > 0, 'the small portal has contacts with companies');
    const none = contacts.find((c) => v3Ids(c, 'companies').length === 0);
    const inputs = sample.map((c) => ({ id: c.id }));
    const res = await v4.batchApi.getPage('contacts', 'companies', { inputs });
    const byFrom = new Map(res.results.map((r) => [r._from.id, r]));
    for (const c of sample) {
      const r = byFrom.get(c.id);
      assert.ok(r, `contact ${c.id} missing from the batch read`);
      assert.deepEqual(r.to.map((t) => String(t.toObjectId)).sort(), v3Ids(c, 'companies'), `contact ${c.id}: v4 vs v3 companies`);
      for (const t of r.to) {
        assert.ok(typeIds(t).includes(279), `contact ${c.id} -> company ${t.toObjectId}: types ${JSON.stringify(t.associationTypes)}`);
        const def = t.associationTypes.find((x) => x.typeId === 279);
        assert.equal(def.category, 'HUBSPOT_DEFINED');
      }
    }
    if (none) {
      // A record without edges is either left out or has an empty list; never an invented edge.
      const r = await v4.batchApi.getPage('contacts', 'companies', { inputs: [{ id: none.id }] });
      for (const x of r.results) assert.equal(x.to.length, 0, `contact ${none.id} has no companies`);
    }
  });

  test('deals -> contacts: type 3; contacts -> deals: type 4', async () => {
    const d = deals.find((x) => v3Ids(x, 'contacts').length > 0);
    assert.ok(d, 'a deal with contacts');
    const res = await v4.batchApi.getPage('deals', 'contacts', { inputs: [{ id: d.id }] });
    assert.equal(res.results.length, 1);
    assert.deepEqual(res.results[0].to.map((t) => String(t.toObjectId)).sort(), v3Ids(d, 'contacts'));
    for (const t of res.results[0].to) assert.ok(typeIds(t).includes(3), `deal->contact types ${JSON.stringify(t.associationTypes)}`);
    const contactId = v3Ids(d, 'contacts')[0];
    const back = await v4Edges('contacts', contactId, 'deals');
    const edge = back.find((t) => String(t.toObjectId) === d.id);
    assert.ok(edge, `contact ${contactId} does not see deal ${d.id}: associations are not stored in both directions`);
    assert.ok(typeIds(edge).includes(4), `contact->deal types ${JSON.stringify(edge.associationTypes)}`);
  });

  test('deals -> companies: type 341; companies -> contacts: type 280', async () => {
    const d = deals.find((x) => v3Ids(x, 'companies').length > 0);
    assert.ok(d, 'a deal with a company');
    const edges = await v4Edges('deals', d.id, 'companies');
    assert.deepEqual(edges.map((t) => String(t.toObjectId)).sort(), v3Ids(d, 'companies'));
    for (const t of edges) assert.ok(typeIds(t).includes(341), `deal->company types ${JSON.stringify(t.associationTypes)}`);
    const c = contacts.find((x) => v3Ids(x, 'companies').length > 0);
    const co = v3Ids(c, 'companies')[0];
    const back = await v4Edges('companies', co, 'contacts');
    const e = back.find((t) => String(t.toObjectId) === c.id);
    assert.ok(e, `company ${co} does not see contact ${c.id}`);
    assert.ok(typeIds(e).includes(280), `company->contact types ${JSON.stringify(e.associationTypes)}`);
  });

  test('per-record paging with a small limit returns every edge once', async () => {
    const co = [...companies].map((x) => x.id).find((id) => contacts.filter((c) => v3Ids(c, 'companies').includes(id)).length >= 3);
    assert.ok(co, 'a company with at least 3 contacts');
    const want = contacts.filter((c) => v3Ids(c, 'companies').includes(co)).map((c) => c.id).sort();
    const got = (await v4Edges('companies', co, 'contacts', 2)).map((t) => String(t.toObjectId));
    assert.equal(new Set(got).size, got.length, 'an edge returned twice across pages');
    assert.deepEqual(got.sort(), want);
  });
});

describe('create and archive', () => {
  test('basicApi.create with a default type, seen from both sides, then archive', async () => {
    const c = await client.crm.contacts.basicApi.create({ properties: { email: `assoc.${Date.now()}@example.com` }, associations: [] });
    const co = companies[0].id;
    const res = await v4.basicApi.createWithHttpInfo('contacts', c.id, 'companies', co,
      [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 279 }]);
    assert.equal(res.httpStatusCode, 201);
    assert.equal(String(res.data.fromObjectId), c.id);
    assert.equal(String(res.data.toObjectId), co);
    assert.equal(res.data.fromObjectTypeId, '0-1');
    assert.equal(res.data.toObjectTypeId, '0-2');
    assert.ok(Array.isArray(res.data.labels));

    const fwd = await v4Edges('contacts', c.id, 'companies');
    assert.deepEqual(fwd.map((t) => String(t.toObjectId)), [co]);
    const back = await v4Edges('companies', co, 'contacts');
    const e = back.find((t) => String(t.toObjectId) === c.id);
    assert.ok(e && typeIds(e).includes(280), `reverse edge company ${co} -> contact ${c.id}: ${JSON.stringify(e)}`);
    const v3 = await client.crm.contacts.basicApi.getById(c.id, ['email'], undefined, ['companies']);
    assert.deepEqual(v3Ids(v3, 'companies'), [co], 'v3 expansion shows the new edge');

    await v4.basicApi.archive('contacts', c.id, 'companies', co);
    assert.equal((await v4Edges('contacts', c.id, 'companies')).length, 0, 'edge still there after archive');
    assert.ok(!(await v4Edges('companies', co, 'contacts')).some((t) => String(t.toObjectId) === c.id), 'reverse edge still there');
  });

  test('createDefault and batch create / archive', async () => {
    const made = await client.crm.deals.batchApi.create({
      inputs: [{ properties: { dealname: 'Assoc A', pipeline: 'default', dealstage: 'appointmentscheduled' }, associations: [] },
        { properties: { dealname: 'Assoc B', pipeline: 'default', dealstage: 'appointmentscheduled' }, associations: [] }],
    });
    const [d1, d2] = made.results.map((r) => r.id);
    const contactId = contacts[0].id;
    const def = await v4.basicApi.createDefault('deals', d1, 'contacts', contactId);
    assert.ok(def.results.some((r) => r.associationSpec.associationTypeId === 3), `createDefault results ${JSON.stringify(def.results)}`);

    const batch = await v4.batchApi.createWithHttpInfo('deals', 'contacts', {
      inputs: [{ _from: { id: d2 }, to: { id: contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 3 }] }],
    });
    assert.equal(batch.httpStatusCode, 201);
    assert.equal(batch.data.results.length, 1);

    const read = await v4.batchApi.getPage('deals', 'contacts', { inputs: [{ id: d1 }, { id: d2 }] });
    for (const r of read.results) {
      assert.deepEqual(r.to.map((t) => String(t.toObjectId)), [contactId], `deal ${r._from.id} edges`);
    }
    await v4.batchApi.archive('deals', 'contacts', { inputs: [{ _from: { id: d1 }, to: [{ id: contactId }] }, { _from: { id: d2 }, to: [{ id: contactId }] }] });
    const gone = await v4.batchApi.getPage('deals', 'contacts', { inputs: [{ id: d1 }, { id: d2 }] });
    for (const r of gone.results) assert.equal(r.to.length, 0, `deal ${r._from.id} still has edges after batch archive`);
  });

  test('an unknown association type id is a 400', async () => {
    const err = await expectApiError(
      v4.basicApi.create('contacts', contacts[0].id, 'companies', companies[0].id, [{ associationCategory: 'USER_DEFINED', associationTypeId: 987654 }]),
      400, 'association with an unknown type id');
    assertHubSpotError(err.body, 'association with an unknown type id');
  });
});

describe('labels (crm.associations.v4.schema.definitionsApi)', () => {
  test('defaults listed; create a label and use it', async () => {
    const defs = v4.schema.definitionsApi;
    const before = await defs.getAll('contacts', 'companies');
    assert.ok(before.results.some((l) => l.typeId === 279 && l.category === 'HUBSPOT_DEFINED'),
      `contact->company labels lack the unlabeled default 279: ${JSON.stringify(before.results)}`);
    const made = await defs.create('contacts', 'companies', { label: 'Billing contact', name: 'billing_contact' });
    const label = made.results.find((l) => l.label === 'Billing contact');
    assert.ok(label, `create returned ${JSON.stringify(made.results)}`);
    assert.equal(label.category, 'USER_DEFINED');
    assert.equal(typeof label.typeId, 'number');
    const after = await defs.getAll('contacts', 'companies');
    assert.ok(after.results.some((l) => l.typeId === label.typeId && l.label === 'Billing contact'), 'label missing from getAll');

    const c = contacts[1].id;
    const co = companies[1].id;
    const res = await v4.basicApi.create('contacts', c, 'companies', co, [{ associationCategory: 'USER_DEFINED', associationTypeId: label.typeId }]);
    assert.ok(res.labels.includes('Billing contact'), `labels between the pair: ${JSON.stringify(res.labels)}`);
    const edges = await v4Edges('contacts', c, 'companies');
    const e = edges.find((t) => String(t.toObjectId) === co);
    assert.ok(e, 'labelled edge missing');
    const t = e.associationTypes.find((x) => x.typeId === label.typeId);
    assert.ok(t, `labelled type missing: ${JSON.stringify(e.associationTypes)}`);
    assert.equal(t.category, 'USER_DEFINED');
    assert.equal(t.label, 'Billing contact');
  });
});
