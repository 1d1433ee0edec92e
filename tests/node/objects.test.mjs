// CRM v3 objects through the official client on the generated `small` portal: paging (getAll),
// getPage options (properties, propertiesWithHistory, associations, archived), getById with
// idProperty, and a create / update / archive round trip.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ENGAGEMENT_TYPES, SMALL_PORTAL, assertDate, expectApiError, assertHubSpotError, makeClient, objectApi,
  pageAll, sleep, startEmulator,
} from './harness.mjs';

let emu;
let client;
const active = new Map();    // type -> records from getAll
const archived = new Map();  // type -> records from getPage(archived=true)

before(async () => {
  emu = await startEmulator(SMALL_PORTAL);
  client = makeClient(emu);
});
after(async () => {
  await emu?.stop();
});

function checkRecord(r, type, what) {
  assert.equal(typeof r.id, 'string', `${what}: id is a string`);
  assert.match(r.id, /^\d+$/, `${what}: id is numeric`);
  assert.equal(r.properties.hs_object_id, r.id, `${what}: properties.hs_object_id equals id`);
  assertDate(r.createdAt, `${what}.createdAt`);
  assertDate(r.updatedAt, `${what}.updatedAt`);
  assert.ok(r.updatedAt.getTime() >= r.createdAt.getTime(), `${what}: updatedAt before createdAt`);
  const created = type === 'contacts' ? 'createdate' : 'hs_createdate';
  if (r.properties[created] != null) {
    assert.equal(Date.parse(r.properties[created]), r.createdAt.getTime(), `${what}: ${created} equals createdAt`);
  }
}

describe('getAll pages through every record exactly once', () => {
  for (const type of ['contacts', 'companies', 'deals', ...ENGAGEMENT_TYPES]) {
    test(type, async () => {
      const expected = emu.summary.counts[type];
      assert.equal(typeof expected, 'number', `summary.counts.${type}`);
      if (['contacts', 'companies', 'deals'].includes(type)) {
        assert.ok(expected > 0, `the small portal has ${type}`);
      }
      const api = objectApi(client, type);
      // The client's own getAll where it has one (contacts, companies, deals); the same loop otherwise.
      const records = api.getAll ? await api.getAll() : await pageAll(api.basicApi);
      const old = await pageAll(api.basicApi, { archived: true });
      active.set(type, records);
      archived.set(type, old);

      const ids = records.map((r) => r.id);
      assert.equal(new Set(ids).size, ids.length, `${type}: getAll returned a record twice`);
      for (const r of records) {
        checkRecord(r, type, `${type}/${r.id}`);
        assert.equal(r.archived, false, `${type}/${r.id}: archived in the active listing`);
      }
      for (const r of old) {
        assert.equal(r.archived, true, `${type}/${r.id}: not archived in the archived listing`);
        assertDate(r.archivedAt, `${type}/${r.id}.archivedAt`);
        assert.ok(!ids.includes(r.id), `${type}/${r.id}: in both the active and the archived listing`);
      }
      // Ascending ids, as HubSpot's list endpoint pages by id.
      for (let i = 1; i < ids.length; i++) {
        assert.ok(BigInt(ids[i]) > BigInt(ids[i - 1]), `${type}: ids not ascending at ${i}: ${ids[i - 1]}, ${ids[i]}`);
      }
      assert.equal(records.length + old.length, expected,
        `${type}: active (${records.length}) + archived (${old.length}) records vs summary count ${expected}`);
    });
  }

  test('an engagement type has records', () => {
    const total = ENGAGEMENT_TYPES.reduce((n, t) => n + (emu.summary.counts[t] ?? 0), 0);
    assert.ok(total > 0, `no engagements in the small portal: ${JSON.stringify(emu.summary.counts)}`);
  });
});

describe('basicApi.getPage', () => {
  test('limit and after cursor', async () => {
    const p1 = await client.crm.contacts.basicApi.getPage(7);
    assert.equal(p1.results.length, 7);
    assert.ok(p1.paging?.next?.after, 'paging.next.after present while more records exist');
    const p2 = await client.crm.contacts.basicApi.getPage(7, p1.paging.next.after);
    assert.equal(p2.results.length, 7);
    const ids1 = new Set(p1.results.map((r) => r.id));
    for (const r of p2.results) assert.ok(!ids1.has(r.id), `page 2 repeats ${r.id}`);
    const all = active.get('contacts');
    if (all) assert.deepEqual([...p1.results, ...p2.results].map((r) => r.id), all.slice(0, 14).map((r) => r.id));
  });

  test('last page has no paging', async () => {
    const n = emu.summary.counts.companies;
    const page = await client.crm.companies.basicApi.getPage(100, undefined);
    if (n - (archived.get('companies')?.length ?? 0) <= 100) {
      assert.equal(page.paging, undefined, 'paging present on the only page');
    }
  });

  test('properties: requested ones plus hs_object_id/createdate/lastmodifieddate; unknown names ignored', async () => {
    const props = ['email', 'firstname', 'lifecyclestage', 'no_such_property_xyz'];
    const page = await client.crm.contacts.basicApi.getPage(20, undefined, props);
    assert.equal(page.results.length, 20);
    const byId = new Map((active.get('contacts') ?? []).map((r) => [r.id, r]));
    for (const r of page.results) {
      // HubSpot returns these three whatever properties are asked for (its docs' examples for
      // ?properties=email show createdate, email, hs_object_id, lastmodifieddate).
      for (const p of ['hs_object_id', 'createdate', 'lastmodifieddate']) {
        assert.ok(r.properties[p], `contact ${r.id}: ${p} missing with ?properties=${props}: ${JSON.stringify(r.properties)}`);
      }
      assert.equal(r.properties.hs_object_id, r.id);
      // A requested property with no value may be null or left out ("it will not appear").
      assert.ok(r.properties.no_such_property_xyz == null, `contact ${r.id}: unknown property has a value`);
      assert.ok(!('lastname' in r.properties), `contact ${r.id}: lastname returned though not requested`);
    }
    assert.ok(page.results.some((r) => r.properties.email), 'no contact on the first page has an email');
    assert.ok(byId.size === 0 || page.results.every((r) => (r.properties.email ?? null) === (byId.get(r.id)?.properties.email ?? null)),
      'email differs between getPage(properties) and getAll');
  });

  test('propertiesWithHistory: newest first, current value first', async () => {
    const page = await client.crm.contacts.basicApi.getPage(50, undefined, ['lifecyclestage'], ['lifecyclestage']);
    let withHistory = 0;
    for (const r of page.results) {
      const h = r.propertiesWithHistory?.lifecyclestage;
      const current = r.properties.lifecyclestage;
      if (current == null || current === '') continue;
      assert.ok(Array.isArray(h) && h.length > 0, `contact ${r.id}: no history for lifecyclestage=${current}`);
      withHistory += 1;
      assert.equal(h[0].value, current, `contact ${r.id}: history[0] is not the current value`);
      for (const e of h) {
        assertDate(e.timestamp, `contact ${r.id} history timestamp`);
        assert.equal(typeof e.sourceType, 'string', `contact ${r.id}: history sourceType`);
      }
      for (let i = 1; i < h.length; i++) {
        assert.ok(h[i - 1].timestamp >= h[i].timestamp, `contact ${r.id}: history not newest first`);
      }
    }
    assert.ok(withHistory > 0, 'no contact with a lifecycle stage on the first page');
  });

  test('associations: expanded ids exist', async () => {
    const companies = active.get('companies') ?? (await client.crm.companies.getAll());
    const companyIds = new Set(companies.map((c) => c.id));
    const page = await client.crm.contacts.basicApi.getPage(100, undefined, ['email'], undefined, ['companies']);
    let linked = 0;
    for (const r of page.results) {
      const a = r.associations?.companies;
      if (!a) continue;
      assert.ok(Array.isArray(a.results), `contact ${r.id}: associations.companies.results`);
      for (const x of a.results) {
        linked += 1;
        assert.ok(companyIds.has(x.id), `contact ${r.id} -> company ${x.id}, which getAll did not return`);
        assert.equal(typeof x.type, 'string', 'association type name');
      }
    }
    assert.ok(linked > 0, 'no contact on the first page is associated with a company');
  });
});

describe('getById', () => {
  test('by id, and by email with idProperty', async () => {
    const contacts = active.get('contacts') ?? (await client.crm.contacts.getAll());
    const withEmail = contacts.find((c) => c.properties.email);
    assert.ok(withEmail, 'a contact with an email');
    const byId = await client.crm.contacts.basicApi.getById(withEmail.id, ['email']);
    assert.equal(byId.id, withEmail.id);
    assert.equal(byId.properties.email, withEmail.properties.email);
    const byEmail = await client.crm.contacts.basicApi.getById(
      withEmail.properties.email, ['email', 'firstname'], undefined, undefined, false, 'email');
    assert.equal(byEmail.id, withEmail.id, `getById(${withEmail.properties.email}, idProperty=email)`);
  });

  test('unknown id is a 404 HubSpot error', async () => {
    const err = await expectApiError(client.crm.deals.basicApi.getById('99999999999'), 404, 'GET deal 99999999999');
    assertHubSpotError(err.body, 'GET deal 99999999999');
  });
});

describe('create / update / archive round trip', () => {
  test('contact', async () => {
    const api = client.crm.contacts.basicApi;
    const email = `roundtrip.${Date.now()}@example.org`;
    const created = await api.create({ properties: { email, firstname: 'Ada', lastname: 'Lovelace' }, associations: [] });
    checkRecord(created, 'contacts', 'created contact');
    assert.equal(created.properties.email, email);
    assert.equal(created.properties.firstname, 'Ada');
    assert.equal(created.archived, false);

    const read1 = await api.getById(created.id, ['firstname', 'lastmodifieddate'], ['firstname']);
    assert.equal(read1.properties.firstname, 'Ada');
    assert.equal(read1.propertiesWithHistory.firstname.length, 1, 'history after create');

    await sleep(25);
    const updated = await api.update(created.id, { properties: { firstname: 'Augusta' } });
    assert.equal(updated.id, created.id);
    assert.equal(updated.properties.firstname, 'Augusta');
    assert.ok(updated.updatedAt > created.updatedAt, `updatedAt did not move: ${created.updatedAt.toISOString()} -> ${updated.updatedAt.toISOString()}`);
    assert.equal(updated.createdAt.getTime(), created.createdAt.getTime(), 'createdAt changed on update');

    const read2 = await api.getById(created.id, ['firstname', 'lastmodifieddate'], ['firstname']);
    assert.ok(Date.parse(read2.properties.lastmodifieddate) > Date.parse(read1.properties.lastmodifieddate),
      `lastmodifieddate did not move: ${read1.properties.lastmodifieddate} -> ${read2.properties.lastmodifieddate}`);
    const h = read2.propertiesWithHistory.firstname;
    assert.equal(h.length, 2, `history did not grow: ${JSON.stringify(h)}`);
    assert.deepEqual(h.map((e) => e.value), ['Augusta', 'Ada']);
    assert.equal(h[0].sourceType, 'API');

    await api.archive(created.id);
    const err = await expectApiError(api.getById(created.id), 404, 'GET archived contact');
    assertHubSpotError(err.body, 'GET archived contact');
    const again = await api.getById(created.id, ['email'], undefined, undefined, true);
    assert.equal(again.archived, true);
    assertDate(again.archivedAt, 'archivedAt');

    const listed = await pageAll(api, { archived: true, properties: ['email'] });
    assert.ok(listed.some((r) => r.id === created.id), 'archived contact missing from the archived listing');
    const live = await pageAll(api, { properties: ['email'] });
    assert.ok(!live.some((r) => r.id === created.id), 'archived contact still in the active listing');
  });

  test('deal with an association on create', async () => {
    const contacts = active.get('contacts') ?? (await client.crm.contacts.getAll());
    const contactId = contacts[0].id;
    const deal = await client.crm.deals.basicApi.create({
      properties: { dealname: 'Round trip deal', amount: '1234.5', pipeline: 'default', dealstage: 'appointmentscheduled' },
      associations: [{ to: { id: contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 3 }] }],
    });
    assert.equal(deal.properties.dealname, 'Round trip deal');
    const read = await client.crm.deals.basicApi.getById(deal.id, ['amount', 'dealstage'], undefined, ['contacts']);
    assert.equal(Number(read.properties.amount), 1234.5);
    assert.equal(read.properties.dealstage, 'appointmentscheduled');
    assert.ok(read.associations?.contacts?.results?.some((x) => x.id === contactId),
      `deal ${deal.id} not associated with contact ${contactId}: ${JSON.stringify(read.associations)}`);
    await client.crm.deals.basicApi.archive(deal.id);
  });
});
