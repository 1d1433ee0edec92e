// CRM search through the official client on an empty portal filled by the test itself, so every
// expected result set is computed here from the records created: each filter operator, OR of
// filter groups, sorting, limit 200 and the 10,000-result paging cap.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertHubSpotError, expectApiError, makeClient, startEmulator } from './harness.mjs';

let emu;
let client;

// 40 deals: amount i*100 (unset for every 7th), three stages in turn, names with known tokens.
const STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'closedwon'];
const WORDS = ['Widget', 'Gadget', 'Gizmo', 'Widgetry'];
const fixture = [];
for (let i = 1; i <= 40; i++) {
  const p = {
    dealname: `${WORDS[i % WORDS.length]} renewal ${i}`,
    dealstage: STAGES[i % STAGES.length],
    pipeline: 'default',
  };
  if (i % 7 !== 0) p.amount = String(i * 100);
  fixture.push(p);
}
let deals = [];  // [{id, properties}] as created
const BULK = 10_100;  // contacts for the 10,000 cap

before(async () => {
  emu = await startEmulator(['--empty']);
  client = makeClient(emu);
  const res = await client.crm.deals.batchApi.create({ inputs: fixture.map((properties) => ({ properties, associations: [] })) });
  assert.equal(res.results.length, fixture.length);
  deals = res.results.map((r) => ({ id: r.id, properties: { ...r.properties } }));
  // Batch create does not promise input order; index the fixture by name.
  const byName = new Map(fixture.map((p) => [p.dealname, p]));
  for (const d of deals) Object.assign(d.properties, byName.get(d.properties.dealname));
});
after(async () => {
  await emu?.stop();
});

const PROPS = ['dealname', 'amount', 'dealstage'];

async function searchAll(filterGroups, extra = {}) {
  const ids = [];
  let after;
  let total;
  do {
    const page = await client.crm.deals.searchApi.doSearch({ filterGroups, properties: PROPS, limit: 200, after, ...extra });
    total = page.total;
    ids.push(...page.results.map((r) => r.id));
    after = page.paging?.next?.after;
  } while (after);
  assert.equal(total, ids.length, `total (${total}) vs results paged (${ids.length}) for ${JSON.stringify(filterGroups)}`);
  return ids;
}

function expectIds(pred) {
  return deals.filter((d) => pred(d.properties)).map((d) => d.id).sort();
}

const amount = (p) => (p.amount === undefined ? undefined : Number(p.amount));
const tokens = (s) => s.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);

const cases = [
  ['EQ', [{ propertyName: 'dealstage', operator: 'EQ', value: 'qualifiedtobuy' }], (p) => p.dealstage === 'qualifiedtobuy'],
  ['EQ on a number', [{ propertyName: 'amount', operator: 'EQ', value: '1200' }], (p) => amount(p) === 1200],
  ['NEQ', [{ propertyName: 'dealstage', operator: 'NEQ', value: 'closedwon' }], (p) => p.dealstage !== 'closedwon'],
  ['LT', [{ propertyName: 'amount', operator: 'LT', value: '1000' }], (p) => amount(p) < 1000],
  ['LTE', [{ propertyName: 'amount', operator: 'LTE', value: '1000' }], (p) => amount(p) <= 1000],
  ['GT', [{ propertyName: 'amount', operator: 'GT', value: '3000' }], (p) => amount(p) > 3000],
  ['GTE', [{ propertyName: 'amount', operator: 'GTE', value: '3000' }], (p) => amount(p) >= 3000],
  ['GT compares numbers, not strings', [{ propertyName: 'amount', operator: 'GT', value: '900' }], (p) => amount(p) > 900],
  ['BETWEEN (inclusive)', [{ propertyName: 'amount', operator: 'BETWEEN', value: '500', highValue: '1500' }],
    (p) => amount(p) >= 500 && amount(p) <= 1500],
  ['IN', [{ propertyName: 'dealstage', operator: 'IN', values: ['appointmentscheduled', 'closedwon'] }],
    (p) => ['appointmentscheduled', 'closedwon'].includes(p.dealstage)],
  ['NOT_IN', [{ propertyName: 'dealstage', operator: 'NOT_IN', values: ['appointmentscheduled', 'closedwon'] }],
    (p) => !['appointmentscheduled', 'closedwon'].includes(p.dealstage)],
  ['HAS_PROPERTY', [{ propertyName: 'amount', operator: 'HAS_PROPERTY' }], (p) => p.amount !== undefined],
  ['NOT_HAS_PROPERTY', [{ propertyName: 'amount', operator: 'NOT_HAS_PROPERTY' }], (p) => p.amount === undefined],
  ['CONTAINS_TOKEN (case-insensitive)', [{ propertyName: 'dealname', operator: 'CONTAINS_TOKEN', value: 'widget' }],
    (p) => tokens(p.dealname).includes('widget')],
  ['CONTAINS_TOKEN with * wildcard', [{ propertyName: 'dealname', operator: 'CONTAINS_TOKEN', value: 'widget*' }],
    (p) => tokens(p.dealname).some((t) => t.startsWith('widget'))],
  ['AND within a group', [
    { propertyName: 'dealstage', operator: 'EQ', value: 'closedwon' },
    { propertyName: 'amount', operator: 'GTE', value: '2000' },
  ], (p) => p.dealstage === 'closedwon' && amount(p) >= 2000],
];

describe('filters return exactly the matching records', () => {
  test('fixture sanity', () => {
    assert.equal(deals.length, 40);
    assert.ok(deals.some((d) => d.properties.amount === undefined));
  });
  for (const [name, filters, pred] of cases) {
    test(name, async () => {
      const got = (await searchAll([{ filters }])).sort();
      const want = expectIds(pred);
      assert.ok(want.length > 0 && want.length < deals.length, `${name}: fixture should split the records`);
      assert.deepEqual(got, want, `${name}: ${JSON.stringify(filters)}`);
    });
  }

  test('OR of filter groups', async () => {
    const groups = [
      { filters: [{ propertyName: 'dealstage', operator: 'EQ', value: 'appointmentscheduled' }] },
      { filters: [{ propertyName: 'amount', operator: 'GT', value: '3500' }] },
    ];
    const got = (await searchAll(groups)).sort();
    assert.deepEqual(got, expectIds((p) => p.dealstage === 'appointmentscheduled' || amount(p) > 3500));
  });

  test('no filter groups: every record', async () => {
    const got = (await searchAll([])).sort();
    assert.deepEqual(got, expectIds(() => true));
  });

  test('results carry the requested properties', async () => {
    const page = await client.crm.deals.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'amount', operator: 'EQ', value: '500' }] }], properties: PROPS, limit: 10,
    });
    assert.equal(page.total, 1);
    const d = page.results[0];
    assert.equal(d.properties.dealname, 'Gadget renewal 5');
    assert.equal(Number(d.properties.amount), 500);
    assert.equal(d.properties.dealstage, STAGES[5 % 3]);
    assert.equal(d.properties.hs_object_id, d.id, `search results always carry hs_object_id: ${JSON.stringify(d.properties)}`);
  });
});

describe('sorting and paging', () => {
  test('sort by amount descending and ascending', async () => {
    const filterGroups = [{ filters: [{ propertyName: 'amount', operator: 'HAS_PROPERTY' }] }];
    for (const direction of ['DESCENDING', 'ASCENDING']) {
      const page = await client.crm.deals.searchApi.doSearch({
        filterGroups, properties: PROPS, limit: 100, sorts: [{ propertyName: 'amount', direction }],
      });
      const got = page.results.map((r) => Number(r.properties.amount));
      const want = deals.map((d) => amount(d.properties)).filter((a) => a !== undefined)
        .sort((a, b) => (direction === 'ASCENDING' ? a - b : b - a));
      assert.deepEqual(got, want, `sort amount ${direction}`);
    }
  });

  test('paging with after returns each record once', async () => {
    const seen = [];
    let after;
    let pages = 0;
    do {
      const page = await client.crm.deals.searchApi.doSearch({
        filterGroups: [], properties: PROPS, limit: 7, after, sorts: [{ propertyName: 'amount', direction: 'ASCENDING' }],
      });
      assert.ok(page.results.length <= 7);
      assert.equal(page.total, deals.length);
      seen.push(...page.results.map((r) => r.id));
      after = page.paging?.next?.after;
      if (after !== undefined) assert.match(after, /^\d+$/, 'search paging.next.after is an offset');
      pages += 1;
    } while (after && pages < 20);
    assert.equal(pages, Math.ceil(deals.length / 7));
    assert.equal(new Set(seen).size, deals.length);
  });

  test('limit 200 and the 10,000-result cap', async () => {
    // Fill the portal with 10,100 contacts, 100 per batch (the batch limit).
    for (let b = 0; b < BULK / 100; b++) {
      const inputs = [];
      for (let i = 0; i < 100; i++) {
        const n = b * 100 + i;
        inputs.push({ properties: { email: `bulk${n}@cap.example`, firstname: `Bulk${n}` }, associations: [] });
      }
      const res = await client.crm.contacts.batchApi.create({ inputs });
      assert.equal(res.results.length, 100);
    }
    const seen = new Set();
    let after;
    let total;
    for (;;) {
      const page = await client.crm.contacts.searchApi.doSearch({ filterGroups: [], properties: ['email'], limit: 200, after });
      total = page.total;
      assert.equal(page.results.length, 200, `page after=${after} should be full`);
      for (const r of page.results) {
        assert.ok(!seen.has(r.id), `record ${r.id} returned twice`);
        seen.add(r.id);
      }
      after = page.paging?.next?.after;
      if (!after || Number(after) >= 10_000) break;
    }
    assert.equal(total, BULK, 'total counts every match, past the cap');
    assert.equal(seen.size, 10_000, 'paging reaches exactly 10,000 results');
    const err = await expectApiError(
      client.crm.contacts.searchApi.doSearch({ filterGroups: [], properties: ['email'], limit: 200, after: '10000' }),
      400, 'search after=10000');
    assertHubSpotError(err.body, 'search after=10000');
  });
});
