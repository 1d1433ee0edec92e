// `revlens push` end to end, verified with the official client: a DuckDB warehouse gets synthetic
// lead_scores, company_icp_fit and deal_predictions tables (built by `revlens build` from a small dbt
// project, the way a user's own models would land them), `revlens push` writes them to the emulator, and
// @hubspot/api-client reads the property group, the property definitions and the values back.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { makeClient, raw, revlensBin, startEmulator } from './harness.mjs';

const run = promisify(execFile);
const CONTACTS = 250;
const COMPANIES = 20;
const DEALS = 30;

let emu;
let client;
let dir;
let warehouse;
let contactIds = [];
let companyIds = [];
let dealIds = [];

const TIERS = (x) => (x >= 75 ? 'A' : x >= 50 ? 'B' : x >= 25 ? 'C' : 'D');
/// The synthetic score of contact number i (0-based), in run `r`: run 2 moves every tenth one.
function score(i, r = 1) {
  const base = ((i * 37) % 100) + 0.25;
  return r >= 2 && i % 10 === 3 ? (base + 7) % 100 : base;
}
const holdout = (i) => i % 10 === 0;
/// A score as revlens pushes it: one decimal, no trailing zero.
const fmt = (x) => String(Math.round(x * 10) / 10);
/// Deal number i's win probability (two decimals as pushed, never a tie) and risk flags (none for most).
const pWin = (i) => (((i * 37) % 97) + 1) / 100 + 0.004;
const fmt2 = (x) => String(Math.round(x * 100) / 100);
const risk = (i) => (i % 3 === 0 ? 'stalled_in_stage;single_threaded' : null);

/// Write the one-model dbt project that materializes lead_scores and company_icp_fit for run `r`.
function writeProject(r) {
  const proj = join(dir, 'project');
  mkdirSync(join(proj, 'models'), { recursive: true });
  writeFileSync(join(proj, 'dbt_project.yml'),
    'name: push_fixture\nversion: "1.0"\nconfig-version: 2\nprofile: revlens\nmodel-paths: ["models"]\n' +
    'models:\n  push_fixture:\n    +materialized: table\n');
  const day = r === 1 ? '2026-06-30' : '2026-07-01';
  const rows = contactIds.map((id, i) => {
    const s = score(i, r);
    return `('run${r}', 'v1', CAST(${id} AS BIGINT), TIMESTAMP '${day} 00:00:00', CAST(${s} AS DOUBLE), '${TIERS(s)}', ` +
      `CAST(${s / 2} AS DOUBLE), CAST(${10 + (i % 7)} AS DOUBLE), '["200-1,000 employees (+)","no reply in 30 days (-)"]', ` +
      `'${holdout(i) ? 'holdout' : 'treatment'}', TRUE)`;
  });
  writeFileSync(join(proj, 'models', 'lead_scores.sql'),
    'select * from (values\n' + rows.join(',\n') +
    '\n) as t(run_id, model_version, contact_id, scored_at, likelihood, tier, fit, engagement, reasons, ab_group, usable)\n');
  const companies = companyIds.map((id, i) =>
    `('icp${r}', CAST(${id} AS BIGINT), CAST(${i * 4} AS DOUBLE), 'Software x 200-1,000', TIMESTAMP '${day} 00:00:00')`);
  writeFileSync(join(proj, 'models', 'company_icp_fit.sql'),
    'select * from (values\n' + companies.join(',\n') + '\n) as t(run_id, company_id, icp_fit, top_segment, scored_at)\n');
  // Deal predictions as `revlens forecast` writes them (the columns the push reads); run 2 only moves the timestamp.
  const deals = dealIds.map((id, i) =>
    `(CAST(${id} AS BIGINT), CAST(${pWin(i)} AS DOUBLE), ${risk(i) ? `'${risk(i)}'` : 'CAST(NULL AS VARCHAR)'}, ` +
    `'model', TIMESTAMP '${day} 00:00:00')`);
  writeFileSync(join(proj, 'models', 'deal_predictions.sql'),
    'select * from (values\n' + deals.join(',\n') + '\n) as t(deal_id, p_win, risk_flags, method, predicted_at)\n');
  return proj;
}

async function build(r) {
  await run(revlensBin(), ['build', '--project', writeProject(r), '--warehouse', warehouse, '--target-schema', 'revlens',
    '--skip-freshness', '--skip-tests'], { cwd: dir });
}

/// `revlens push` against the emulator; resolves to the parsed --json summary (or stdout for text).
async function push(args = [], { json = true } = {}) {
  const env = { ...process.env, HUBSPOT_ACCESS_TOKEN: emu.token, HUBSPOT_API_BASE: emu.url };
  delete env.REVLENS_WAREHOUSE;
  const { stdout } = await run(revlensBin(), ['push', '--warehouse', warehouse, ...(json ? ['--json'] : []), ...args],
    { cwd: dir, env });
  return json ? JSON.parse(stdout) : stdout;
}

const target = (summary, name) => summary.targets.find((t) => t.target === name);

async function readContacts(properties) {
  const out = new Map();
  for (let i = 0; i < contactIds.length; i += 100) {
    const res = await client.crm.contacts.batchApi.read({
      inputs: contactIds.slice(i, i + 100).map((id) => ({ id })), properties, propertiesWithHistory: [],
    });
    for (const r of res.results) out.set(r.id, r.properties);
  }
  return out;
}

before(async () => {
  emu = await startEmulator(['--empty']);
  client = makeClient(emu);
  dir = mkdtempSync(join(tmpdir(), 'revlens-push-'));
  warehouse = `duckdb://${join(dir, 'w.duckdb')}`;
  for (let i = 0; i < CONTACTS; i += 100) {
    const inputs = [];
    for (let j = i; j < Math.min(CONTACTS, i + 100); j++) {
      inputs.push({ properties: { email: `push${j}@example.com`, firstname: `P${j}` }, associations: [] });
    }
    const res = await client.crm.contacts.batchApi.create({ inputs });
    contactIds.push(...res.results.map((r) => r.id));
  }
  contactIds.sort((a, b) => Number(a) - Number(b));
  const res = await client.crm.companies.batchApi.create({
    inputs: Array.from({ length: COMPANIES }, (_, i) => ({ properties: { name: `Co ${i}` }, associations: [] })),
  });
  companyIds = res.results.map((r) => r.id).sort((a, b) => Number(a) - Number(b));
  const dres = await client.crm.deals.batchApi.create({
    inputs: Array.from({ length: DEALS }, (_, i) => ({ properties: { dealname: `Deal ${i}` }, associations: [] })),
  });
  dealIds = dres.results.map((r) => r.id).sort((a, b) => Number(a) - Number(b));
  await build(1);
});
after(async () => {
  await emu?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('revlens push', () => {
  test('a dry run prints what would change and writes nothing', async () => {
    const out = await push(['--dry-run'], { json: false });
    assert.match(out, /lead_scores\s+-> contacts\s+250 records: 0 unchanged, 250 would change/);
    assert.match(out, /revlens_score \(empty\) -> "/);
    const props = await client.crm.properties.coreApi.getAll('contacts');
    assert.ok(!props.results.some((p) => p.name.startsWith('revlens_')), 'a dry run created properties');
  });

  test('creates the revlens group and its properties', async () => {
    const s = await push();
    assert.equal(s.complete, true, JSON.stringify(s));
    assert.equal(target(s, 'lead_scores').written, CONTACTS);
    assert.equal(target(s, 'company_icp_fit').written, COMPANIES);
    assert.equal(target(s, 'deal_predictions').written, DEALS);
    assert.equal(s.requests.update, Math.ceil(CONTACTS / 100) + Math.ceil(COMPANIES / 100) + Math.ceil(DEALS / 100));
    assert.equal(s.requests.rate_limited, 0);

    for (const type of ['contacts', 'companies', 'deals']) {
      const g = await client.crm.properties.groupsApi.getByName(type, 'revlens');
      assert.equal(g.name, 'revlens');
    }
    const core = client.crm.properties.coreApi;
    const scoreProp = await core.getByName('contacts', 'revlens_score');
    assert.equal(scoreProp.groupName, 'revlens');
    assert.equal(scoreProp.type, 'number');
    assert.equal(scoreProp.hidden, false);
    const tier = await core.getByName('contacts', 'revlens_tier');
    assert.equal(tier.type, 'enumeration');
    assert.deepEqual(tier.options.map((o) => o.value), ['A', 'B', 'C', 'D']);
    const shadow = await core.getByName('contacts', 'revlens_shadow_score');
    assert.equal(shadow.hidden, true, 'shadow properties are hidden');
    assert.equal((await core.getByName('contacts', 'revlens_scored_at')).type, 'datetime');
    assert.equal((await core.getByName('companies', 'revlens_icp_fit')).groupName, 'revlens');
    assert.equal((await core.getByName('deals', 'revlens_win_probability')).type, 'number');
    assert.equal((await core.getByName('deals', 'revlens_deal_risk')).groupName, 'revlens');
    // Every revlens property sits in the revlens group, and nothing of revlens is anywhere else.
    for (const type of ['contacts', 'companies', 'deals']) {
      for (const p of (await core.getAll(type)).results) {
        assert.equal(p.name.startsWith('revlens_'), p.groupName === 'revlens', `${type}.${p.name} in ${p.groupName}`);
      }
    }
  });

  test('the values read back with the official client', async () => {
    const got = await readContacts(['revlens_score', 'revlens_tier', 'revlens_fit', 'revlens_reasons',
      'revlens_scored_at', 'revlens_shadow_score', 'email', 'firstname']);
    contactIds.forEach((id, i) => {
      const p = got.get(id);
      const s = fmt(score(i));
      assert.equal(p.email, `push${i}@example.com`, 'revlens touched a property outside its group');
      assert.equal(p.firstname, `P${i}`);
      if (holdout(i)) {
        assert.ok(p.revlens_score === null || p.revlens_score === undefined, `holdout ${id} has a visible score`);
        assert.equal(p.revlens_shadow_score, s, `holdout ${id} shadow score`);
      } else {
        assert.equal(p.revlens_score, s, `contact ${id} score`);
        assert.equal(p.revlens_tier, TIERS(score(i)));
        assert.ok(p.revlens_shadow_score === null || p.revlens_shadow_score === undefined);
      }
    });
    const first = got.get(contactIds[1]);
    assert.equal(first.revlens_reasons, '200-1,000 employees (+)\nno reply in 30 days (-)');
    assert.equal(new Date(first.revlens_scored_at).toISOString(), '2026-06-30T00:00:00.000Z');
    const co = await client.crm.companies.basicApi.getById(companyIds[3], ['revlens_icp_fit', 'revlens_icp_segment']);
    assert.equal(co.properties.revlens_icp_fit, '12');
    assert.equal(co.properties.revlens_icp_segment, 'Software x 200-1,000');
    const deals = await client.crm.deals.batchApi.read({
      inputs: dealIds.map((id) => ({ id })),
      properties: ['revlens_win_probability', 'revlens_deal_risk', 'revlens_predicted_at', 'dealname'],
      propertiesWithHistory: [],
    });
    const byId = new Map(deals.results.map((r) => [r.id, r.properties]));
    dealIds.forEach((id, i) => {
      const p = byId.get(id);
      assert.equal(p.dealname, `Deal ${i}`, 'revlens touched a deal property outside its group');
      assert.equal(p.revlens_win_probability, fmt2(pWin(i)), `deal ${id} win probability`);
      assert.equal(p.revlens_deal_risk || null, risk(i), `deal ${id} risk`);
      assert.equal(new Date(p.revlens_predicted_at).toISOString(), '2026-06-30T00:00:00.000Z');
    });
  });

  test('a second push sends nothing', async () => {
    const before = (await raw(emu, 'GET', '/_emulator/stats')).json.batchUpdates.contacts;
    const s = await push();
    assert.equal(target(s, 'lead_scores').changed, 0);
    assert.equal(s.requests.sent, 0);
    const after = (await raw(emu, 'GET', '/_emulator/stats')).json.batchUpdates.contacts;
    assert.deepEqual(after, before);
  });

  test('a new run sends only the values that changed', async () => {
    await build(2);
    const before = (await raw(emu, 'GET', '/_emulator/stats')).json.batchUpdates.contacts;
    const s = await push();
    const changed = contactIds.filter((_, i) => i % 10 === 3).length;
    assert.equal(target(s, 'lead_scores').changed, changed);
    assert.equal(target(s, 'lead_scores').written, changed);
    // ceil(25 / 100); companies and deals unchanged (a new timestamp alone is no change)
    assert.equal(s.requests.update, 1);
    assert.equal(target(s, 'deal_predictions').changed, 0);
    const after = (await raw(emu, 'GET', '/_emulator/stats')).json.batchUpdates.contacts;
    assert.equal(after.inputs - before.inputs, changed);
    assert.equal(after.values - before.values, target(s, 'lead_scores').values);
    const got = await readContacts(['revlens_score', 'revlens_scored_at']);
    contactIds.forEach((id, i) => {
      if (holdout(i)) return;
      assert.equal(got.get(id).revlens_score, fmt(score(i, 2)), `contact ${id}`);
      const when = i % 10 === 3 ? '2026-07-01T00:00:00.000Z' : '2026-06-30T00:00:00.000Z';
      assert.equal(new Date(got.get(id).revlens_scored_at).toISOString(), when, `contact ${id} scored_at`);
    });
  });

  test('deleted records are quarantined, not retried forever', async () => {
    await client.crm.contacts.basicApi.archive(contactIds[3]);
    await build(1);  // contact 3's score changes back: it must be sent, and HubSpot no longer has it
    const s = await push();
    assert.equal(target(s, 'lead_scores').quarantined_not_found, 1);
    assert.equal(s.complete, false);
    const again = await push();
    assert.equal(target(again, 'lead_scores').skipped_quarantined, 1);
    assert.equal(again.requests.sent, 0);
  });
});
