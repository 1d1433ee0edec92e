// The "straightforward script" that benchmark 2 of the sync issue compares revlens with: for each object type,
// fetch the property names, then every record with the official client's getAll (contacts, companies, deals)
// or a getPage loop (engagements, which have no getAll), with all properties, written to <out>/<type>.json.
// Loading the files into DuckDB with read_json is done (and timed) by bench_sync_throughput.
//
//   node naive_sync.mjs <base-url> <token> <out-dir> <type>...
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@hubspot/api-client';

const [base, token, out, ...types] = process.argv.slice(2);
// The official client retries 429s and 5xx but not a keep-alive socket the server closed while idle; a
// straightforward script adds this much.
async function retrying(call) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (attempt >= 5 || !/ECONNRESET|socket hang up/.test(String(e?.message ?? e))) throw e;
    }
  }
}
const client = new Client({ accessToken: token, basePath: base, numberOfApiCallRetries: 6 });
const started = performance.now();
const counts = {};
for (const type of types) {
  const props = (await retrying(() => client.crm.properties.coreApi.getAll(type))).results.map((p) => p.name);
  let records;
  if (type === 'contacts' || type === 'companies' || type === 'deals') {
    records = await retrying(() => client.crm[type].getAll(100, undefined, props));
  } else {
    records = [];
    let after;
    do {
      const page = await retrying(() => client.crm.objects.basicApi.getPage(type, 100, after, props));
      records.push(...page.results);
      after = page.paging?.next?.after;
    } while (after);
  }
  writeFileSync(join(out, `${type}.json`), JSON.stringify(records));
  counts[type] = records.length;
}
console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, counts }));
