// asof_duckdb.mjs FEATURES_CSV SPINE_CSV OUT_CSV [--plan dedupe|asof-first]
//                 [--ttl SECONDS]
// The historical-retrieval benchmark's point-in-time join in DuckDB (features_bench.sh),
// through the npm package @duckdb/node-api (`npm ci --prefix bench`).
//
// For each spine row (customer_id, event_timestamp, ...): the feature row of that
// customer with the largest event_timestamp <= the spine's, ties on event_timestamp
// broken by the largest created_timestamp, used only if its event_timestamp >= the
// spine's - TTL (both bounds inclusive); otherwise f1..f5 are empty. Writes the spine's
// columns in the spine's order, then f1..f5, with COPY. Two plans, same result:
//
//   dedupe      (default) keep the newest-created row of each (customer_id,
//               event_timestamp) with QUALIFY row_number(), then ASOF LEFT JOIN the
//               spine to it
//   asof-first  ASOF LEFT JOIN the spine to the feature rows' keys only, then join
//               back on (customer_id, event_timestamp) and take arg_max by created
//               time: dedupes only the matched keys, not all 10M rows
//
// Prints `version DuckDB vX.Y.Z`, `load S` (both CSVs into in-memory tables) and
// `join+write S` (the plan and COPY to OUT_CSV). Timestamps are integer epoch seconds.
import { DuckDBInstance } from '@duckdb/node-api';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = args[at + 1];
  args.splice(at, 2);
  return value;
};
const ttl = Number(option('--ttl', String(30 * 86400)));
const plan = option('--plan', 'dedupe');
if (args.length !== 3 || !Number.isInteger(ttl) || ttl < 0 ||
    !['dedupe', 'asof-first'].includes(plan)) {
  console.error('usage: node asof_duckdb.mjs FEATURES_CSV SPINE_CSV OUT_CSV ' +
                '[--plan dedupe|asof-first] [--ttl SECONDS]');
  process.exit(2);
}
const [featuresCsv, spineCsv, outCsv] = args;
const quote = (s) => `'${s.replaceAll("'", "''")}'`;

const instance = await DuckDBInstance.create(':memory:');
const db = await instance.connect();
const features = ['f1', 'f2', 'f3', 'f4', 'f5'];
const version = (await db.runAndReadAll('SELECT version()')).getRows()[0][0];
console.log(`version DuckDB ${version}`);

let t0 = performance.now();
await db.run(`CREATE TABLE features AS SELECT * FROM read_csv(${quote(featuresCsv)},
  header = true, auto_detect = false, columns = {
    'customer_id': 'BIGINT', 'event_timestamp': 'BIGINT', 'created_timestamp': 'BIGINT',
    ${features.map((f) => `'${f}': 'DOUBLE'`).join(', ')}})`);
// The spine keeps its file order (preserve_insertion_order, on by default): `rowid`
// orders the output.
await db.run(`CREATE TABLE spine AS SELECT * FROM read_csv(${quote(spineCsv)},
  header = true, auto_detect = false, columns = {
    'customer_id': 'BIGINT', 'event_timestamp': 'BIGINT', 'label': 'BIGINT'})`);
const load = (performance.now() - t0) / 1000;
console.log(`load ${load.toFixed(3)}`);

const queries = {
  dedupe: `
    WITH latest AS (
      SELECT * FROM features
      QUALIFY row_number() OVER (PARTITION BY customer_id, event_timestamp
                                 ORDER BY created_timestamp DESC) = 1
    )
    SELECT s.*, ${features.map((f) => `CASE WHEN l.event_timestamp >= s.event_timestamp - ${ttl}
                                              THEN l.${f} END AS ${f}`).join(', ')}
    FROM spine s ASOF LEFT JOIN latest l
      ON s.customer_id = l.customer_id AND s.event_timestamp >= l.event_timestamp
    ORDER BY s.rowid`,
  'asof-first': `
    WITH matched AS (
      SELECT s.rowid AS rn, s.*, k.event_timestamp AS found
      FROM spine s ASOF LEFT JOIN (SELECT customer_id, event_timestamp FROM features) k
        ON s.customer_id = k.customer_id AND s.event_timestamp >= k.event_timestamp
    ), newest AS (
      SELECT m.rn, arg_max({${features.map((f) => `${f}: f.${f}`).join(', ')}},
                           f.created_timestamp) AS v
      FROM matched m JOIN features f
        ON f.customer_id = m.customer_id AND f.event_timestamp = m.found
      WHERE m.found >= m.event_timestamp - ${ttl}
      GROUP BY m.rn
    )
    SELECT m.* EXCLUDE (rn, found), ${features.map((f) => `n.v.${f} AS ${f}`).join(', ')}
    FROM matched m LEFT JOIN newest n USING (rn)
    ORDER BY m.rn`,
};

t0 = performance.now();
await db.run(`COPY (${queries[plan]}) TO ${quote(outCsv)} (FORMAT csv, HEADER true)`);
const join = (performance.now() - t0) / 1000;
console.log(`join+write ${join.toFixed(3)}`);
db.closeSync();
instance.closeSync?.();
