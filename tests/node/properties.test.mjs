// Properties and property groups through the official client (crm.properties.coreApi /
// groupsApi): create with validation (bad type or fieldType 400, duplicate 409), get, update,
// archive, and a custom property's value on a record.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertDate, assertHubSpotError, expectApiError, makeClient, startEmulator } from './harness.mjs';

let emu;
let client;
let core;
let groups;

before(async () => {
  emu = await startEmulator(['--empty']);
  client = makeClient(emu);
  core = client.crm.properties.coreApi;
  groups = client.crm.properties.groupsApi;
});
after(async () => {
  await emu?.stop();
});

describe('property groups', () => {
  test('default groups are listed', async () => {
    const all = await groups.getAll('contacts');
    const names = all.results.map((g) => g.name);
    assert.ok(names.includes('contactinformation'), `contact groups: ${names}`);
    for (const g of all.results) {
      assert.equal(typeof g.label, 'string');
      assert.equal(typeof g.displayOrder, 'number');
      assert.equal(g.archived, false);
    }
  });

  test('create (201), get, update, duplicate (409), archive', async () => {
    const res = await groups.createWithHttpInfo('deals', { name: 'revlens_scores', label: 'revlens scores', displayOrder: 7 });
    assert.equal(res.httpStatusCode, 201);
    assert.deepEqual({ ...res.data }, { name: 'revlens_scores', label: 'revlens scores', displayOrder: 7, archived: false });

    const got = await groups.getByName('deals', 'revlens_scores');
    assert.equal(got.label, 'revlens scores');

    const upd = await groups.update('deals', 'revlens_scores', { label: 'Scores by revlens' });
    assert.equal(upd.label, 'Scores by revlens');
    assert.equal((await groups.getByName('deals', 'revlens_scores')).label, 'Scores by revlens');

    const dup = await expectApiError(groups.create('deals', { name: 'revlens_scores', label: 'again' }), 409, 'duplicate group');
    assertHubSpotError(dup.body, 'duplicate group');

    await groups.archive('deals', 'revlens_scores');
    const listed = await groups.getAll('deals');
    assert.ok(!listed.results.some((g) => g.name === 'revlens_scores'), 'archived group still listed');
    await expectApiError(groups.getByName('deals', 'revlens_scores'), 404, 'archived group');
  });

  test('unknown group is 404', async () => {
    const err = await expectApiError(groups.getByName('contacts', 'no_such_group'), 404, 'unknown group');
    assertHubSpotError(err.body, 'unknown group');
  });
});

describe('properties', () => {
  test('default properties parse into the client model', async () => {
    const all = await core.getAll('deals');
    const byName = new Map(all.results.map((p) => [p.name, p]));
    for (const name of ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate', 'hs_object_id']) {
      assert.ok(byName.has(name), `deal property ${name} missing`);
    }
    assert.equal(byName.get('amount').type, 'number');
    assert.equal(byName.get('amount').fieldType, 'number');
    assert.equal(byName.get('closedate').type, 'datetime');
    const stage = byName.get('dealstage');
    assert.equal(stage.type, 'enumeration');
    assert.ok(stage.options.length > 0, 'dealstage has options');
    for (const p of all.results) {
      assert.equal(typeof p.label, 'string', `${p.name}.label`);
      assert.equal(typeof p.groupName, 'string', `${p.name}.groupName`);
      assert.ok(Array.isArray(p.options), `${p.name}.options is an array`);
    }
    const one = await core.getByName('contacts', 'email');
    assert.equal(one.name, 'email');
    assert.equal(one.type, 'string');
  });

  test('create (201), get, update, archive', async () => {
    const res = await core.createWithHttpInfo('contacts', {
      name: 'revlens_fit_score', label: 'Fit score', type: 'number', fieldType: 'number',
      groupName: 'contactinformation', description: 'ICP fit from revlens',
    });
    assert.equal(res.httpStatusCode, 201);
    const p = res.data;
    assert.equal(p.name, 'revlens_fit_score');
    assert.equal(p.type, 'number');
    assert.equal(p.fieldType, 'number');
    assert.equal(p.groupName, 'contactinformation');
    assert.equal(p.hubspotDefined ?? false, false, 'custom property reported as HubSpot-defined');
    assertDate(p.createdAt, 'property createdAt');

    const got = await core.getByName('contacts', 'revlens_fit_score');
    assert.equal(got.label, 'Fit score');
    assert.equal(got.description, 'ICP fit from revlens');

    const upd = await core.update('contacts', 'revlens_fit_score', { label: 'ICP fit score' });
    assert.equal(upd.label, 'ICP fit score');
    assert.equal(upd.type, 'number');

    // A record can carry the new property.
    const c = await client.crm.contacts.basicApi.create({ properties: { email: 'fit@example.com', revlens_fit_score: '87' }, associations: [] });
    const read = await client.crm.contacts.basicApi.getById(c.id, ['revlens_fit_score']);
    assert.equal(Number(read.properties.revlens_fit_score), 87);
    const found = await client.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'revlens_fit_score', operator: 'GTE', value: '80' }] }], properties: ['email'], limit: 10,
    });
    assert.deepEqual(found.results.map((r) => r.id), [c.id]);

    await core.archive('contacts', 'revlens_fit_score');
    await expectApiError(core.getByName('contacts', 'revlens_fit_score'), 404, 'archived property');
    const live = await core.getAll('contacts');
    assert.ok(!live.results.some((x) => x.name === 'revlens_fit_score'), 'archived property still listed');
    const archived = await core.getAll('contacts', true);
    const a = archived.results.find((x) => x.name === 'revlens_fit_score');
    assert.ok(a, 'archived property missing from getAll(archived=true)');
    assert.equal(a.archived, true);
  });

  test('enumeration with options', async () => {
    const p = await core.create('deals', {
      name: 'revlens_risk', label: 'Risk', type: 'enumeration', fieldType: 'select', groupName: 'dealinformation',
      options: [{ label: 'Low', value: 'low', displayOrder: 0, hidden: false }, { label: 'High', value: 'high', displayOrder: 1, hidden: false }],
    });
    assert.deepEqual(p.options.map((o) => [o.label, o.value]), [['Low', 'low'], ['High', 'high']]);
  });

  test('duplicate name is 409', async () => {
    const body = { name: 'revlens_dup', label: 'Dup', type: 'string', fieldType: 'text', groupName: 'companyinformation' };
    await core.create('companies', body);
    const err = await expectApiError(core.create('companies', body), 409, 'duplicate property');
    assertHubSpotError(err.body, 'duplicate property');
    const dupDefault = await expectApiError(
      core.create('contacts', { name: 'email', label: 'Email', type: 'string', fieldType: 'text', groupName: 'contactinformation' }),
      409, 'property named like a default one');
    assertHubSpotError(dupDefault.body, 'property named like a default one');
  });

  for (const [what, body] of [
    ['unknown type', { name: 'revlens_bad1', label: 'Bad', type: 'float', fieldType: 'number', groupName: 'contactinformation' }],
    ['unknown fieldType', { name: 'revlens_bad2', label: 'Bad', type: 'string', fieldType: 'slider', groupName: 'contactinformation' }],
    ['type and fieldType that do not pair', { name: 'revlens_bad3', label: 'Bad', type: 'number', fieldType: 'select', groupName: 'contactinformation' }],
    ['missing label', { name: 'revlens_bad4', type: 'string', fieldType: 'text', groupName: 'contactinformation' }],
  ]) {
    test(`create with ${what} is 400`, async () => {
      const err = await expectApiError(core.create('contacts', body), 400, `property create with ${what}`);
      assertHubSpotError(err.body, `property create with ${what}`, { category: 'VALIDATION_ERROR' });
      await expectApiError(core.getByName('contacts', body.name), 404, `rejected property ${body.name}`);
    });
  }

  test('unknown property is 404', async () => {
    const err = await expectApiError(core.getByName('contacts', 'no_such_property'), 404, 'unknown property');
    assertHubSpotError(err.body, 'unknown property');
  });
});
