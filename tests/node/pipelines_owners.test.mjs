// Deal pipelines and owners of the generated `small` portal parse into the official client's
// models (crm.pipelines.pipelinesApi / pipelineStagesApi, crm.owners.ownersApi), and the deals
// refer only to stages and owners that exist.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SMALL_PORTAL, assertDate, assertHubSpotError, expectApiError, makeClient, startEmulator } from './harness.mjs';

let emu;
let client;
let pipelines = [];
let owners = [];
let departed = [];  // archived owners (people who left keep their records' owner ids)

before(async () => {
  emu = await startEmulator(SMALL_PORTAL);
  client = makeClient(emu);
});
after(async () => {
  await emu?.stop();
});

describe('pipelines', () => {
  test('getAll("deals"): pipelines with stages and metadata.probability', async () => {
    const res = await client.crm.pipelines.pipelinesApi.getAll('deals');
    pipelines = res.results;
    assert.ok(pipelines.length >= 1, 'at least one deal pipeline');
    if (typeof emu.summary.pipelines === 'number') assert.equal(pipelines.length, emu.summary.pipelines, 'pipelines vs summary');
    assert.ok(pipelines.some((p) => p.id === 'default'), `HubSpot's default pipeline id "default": ${pipelines.map((p) => p.id)}`);
    for (const p of pipelines) {
      assert.equal(typeof p.id, 'string');
      assert.equal(typeof p.label, 'string');
      assert.equal(typeof p.displayOrder, 'number');
      assert.equal(p.archived, false);
      assertDate(p.createdAt, `pipeline ${p.id}.createdAt`);
      assertDate(p.updatedAt, `pipeline ${p.id}.updatedAt`);
      assert.ok(p.stages.length >= 2, `pipeline ${p.id} has stages`);
      const orders = p.stages.map((s) => s.displayOrder);
      assert.deepEqual(orders, [...orders].sort((a, b) => a - b), `pipeline ${p.id}: stages in displayOrder`);
      let won = 0;
      let lost = 0;
      for (const s of p.stages) {
        assert.equal(typeof s.id, 'string');
        assert.equal(typeof s.label, 'string');
        assertDate(s.createdAt, `stage ${s.id}.createdAt`);
        assert.equal(s.archived, false);
        // HubSpot sends stage metadata as strings: {"isClosed":"false","probability":"0.2"}.
        assert.equal(typeof s.metadata?.probability, 'string', `stage ${s.id}: metadata.probability ${JSON.stringify(s.metadata)}`);
        const prob = Number(s.metadata.probability);
        assert.ok(prob >= 0 && prob <= 1, `stage ${s.id}: probability ${prob} outside 0..1`);
        assert.ok(Math.abs(prob * 10 - Math.round(prob * 10)) < 1e-9, `stage ${s.id}: probability ${prob} not a step of 0.1`);
        assert.ok(['true', 'false'].includes(s.metadata.isClosed), `stage ${s.id}: metadata.isClosed ${s.metadata.isClosed}`);
        if (s.metadata.isClosed === 'true' && prob === 1) won += 1;
        if (s.metadata.isClosed === 'true' && prob === 0) lost += 1;
      }
      assert.ok(won >= 1 && lost >= 1, `pipeline ${p.id}: a closed-won and a closed-lost stage`);
    }
  });

  test('getById and pipelineStagesApi agree with getAll', async () => {
    const p = pipelines[0];
    const one = await client.crm.pipelines.pipelinesApi.getById('deals', p.id);
    assert.equal(one.id, p.id);
    assert.deepEqual(one.stages.map((s) => s.id), p.stages.map((s) => s.id));
    const stages = await client.crm.pipelines.pipelineStagesApi.getAll('deals', p.id);
    assert.deepEqual(stages.results.map((s) => s.id), p.stages.map((s) => s.id));
    const s0 = await client.crm.pipelines.pipelineStagesApi.getById('deals', p.id, p.stages[0].id);
    assert.equal(s0.label, p.stages[0].label);
    assert.equal(s0.metadata.probability, p.stages[0].metadata.probability);
  });

  test('unknown pipeline is 404', async () => {
    const err = await expectApiError(client.crm.pipelines.pipelinesApi.getById('deals', 'no-such-pipeline'), 404, 'unknown pipeline');
    assertHubSpotError(err.body, 'unknown pipeline');
  });
});

describe('owners', () => {
  test('getPage pages through every owner; teams parse', async () => {
    let after;
    do {
      const page = await client.crm.owners.ownersApi.getPage(undefined, after, 3);
      assert.ok(page.results.length <= 3);
      owners.push(...page.results);
      after = page.paging?.next?.after;
    } while (after);
    assert.ok(owners.length > 0, 'the small portal has owners');
    departed = (await client.crm.owners.ownersApi.getPage(undefined, undefined, 100, true)).results;
    for (const o of departed) assert.equal(o.archived, true, `owner ${o.id} in the archived listing`);
    if (typeof emu.summary.owners === 'number') {
      assert.equal(owners.length + departed.length, emu.summary.owners, `owners: ${owners.length} active + ${departed.length} archived vs summary`);
    }
    assert.equal(new Set(owners.map((o) => o.id)).size, owners.length, 'owner listed twice');
    let withTeams = 0;
    for (const o of owners) {
      assert.match(o.id, /^\d+$/, 'owner id');
      assert.equal(o.type, 'PERSON');
      assert.match(o.email, /@/, `owner ${o.id} email`);
      assert.equal(typeof o.firstName, 'string');
      assert.equal(typeof o.lastName, 'string');
      assert.equal(typeof o.userId, 'number', `owner ${o.id} userId is a number`);
      assert.equal(o.archived, false);
      assertDate(o.createdAt, `owner ${o.id}.createdAt`);
      assertDate(o.updatedAt, `owner ${o.id}.updatedAt`);
      assert.ok(Array.isArray(o.teams), `owner ${o.id}: teams is an array`);
      if (o.teams.length > 0) {
        withTeams += 1;
        assert.equal(o.teams.filter((t) => t.primary).length, 1, `owner ${o.id}: exactly one primary team`);
        for (const t of o.teams) {
          assert.equal(typeof t.id, 'string');
          assert.equal(typeof t.name, 'string');
          assert.equal(typeof t.primary, 'boolean');
        }
      }
    }
    assert.ok(withTeams > 0, 'some owner belongs to a team');
  });

  test('the default page holds every owner (limit defaults to 100)', async () => {
    const page = await client.crm.owners.ownersApi.getPage();
    assert.deepEqual(page.results.map((o) => o.id), owners.map((o) => o.id));
  });

  test('an archived owner is found only with archived=true', async () => {
    if (departed.length === 0) return;
    const o = departed[0];
    await expectApiError(client.crm.owners.ownersApi.getById(Number(o.id), 'id'), 404, `archived owner ${o.id}`);
    const got = await client.crm.owners.ownersApi.getById(Number(o.id), 'id', true);
    assert.equal(got.archived, true);
    assert.equal(got.email, o.email);
  });

  test('getById, by id and by userId; filter by email', async () => {
    const o = owners[0];
    const byId = await client.crm.owners.ownersApi.getById(Number(o.id), 'id');
    assert.equal(byId.email, o.email);
    const byUser = await client.crm.owners.ownersApi.getById(o.userId, 'userId');
    assert.equal(byUser.id, o.id);
    const byEmail = await client.crm.owners.ownersApi.getPage(o.email);
    assert.deepEqual(byEmail.results.map((x) => x.id), [o.id]);
  });

  test('deals refer to existing owners and to stages of their pipeline', async () => {
    const ownerIds = new Set([...owners, ...departed].map((o) => o.id));
    const stagesOf = new Map(pipelines.map((p) => [p.id, new Set(p.stages.map((s) => s.id))]));
    const deals = await client.crm.deals.getAll(100, undefined, ['dealstage', 'pipeline', 'hubspot_owner_id']);
    assert.ok(deals.length > 0);
    let owned = 0;
    for (const d of deals) {
      const { pipeline, dealstage, hubspot_owner_id: owner } = d.properties;
      assert.ok(stagesOf.has(pipeline), `deal ${d.id}: unknown pipeline ${pipeline}`);
      assert.ok(stagesOf.get(pipeline).has(dealstage), `deal ${d.id}: stage ${dealstage} not in pipeline ${pipeline}`);
      if (owner) {
        owned += 1;
        assert.ok(ownerIds.has(owner), `deal ${d.id}: unknown owner ${owner}`);
      }
    }
    assert.ok(owned > 0, 'no deal has an owner');
  });
});
