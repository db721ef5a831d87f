// summarize_duckdb.mjs CSV REPS
// The statistics benchmark's DuckDB side (stats_bench.sh), through the npm package
// @duckdb/node-api (`npm ci --prefix bench`): REPS times, in a new in-memory
// database each, `read_csv` of CSV into a table (types detected, as strata infers
// them) then `SUMMARIZE` of it (per column: min, max, approx_unique, avg, std,
// q25/q50/q75, count, null_percentage), each timed apart.
//
// Prints `version DuckDB vX.Y.Z`, then `run LOAD_S SUMMARIZE_S` per run, then the
// last run's SUMMARIZE rows as `summary COLUMN TYPE MIN MAX APPROX_UNIQUE AVG STD Q25
// Q50 Q75 COUNT`.
import { DuckDBInstance } from '@duckdb/node-api';

const [csv, repsText] = process.argv.slice(2);
const reps = Number(repsText);
if (!csv || !Number.isInteger(reps) || reps < 1) {
  console.error('usage: node summarize_duckdb.mjs CSV REPS');
  process.exit(2);
}
const quote = (s) => `'${s.replaceAll("'", "''")}'`;

let summary = [];
for (let r = 0; r < reps; ++r) {
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  if (r === 0) {
    const version = (await db.runAndReadAll('SELECT version()')).getRows()[0][0];
    console.log(`version DuckDB ${version}`);
  }
  let t0 = performance.now();
  // comment = '': a '#' starting a row is data, not a comment (csv_interop_test).
  await db.run(`CREATE TABLE t AS SELECT * FROM read_csv(${quote(csv)}, header = true,
    comment = '')`);
  const load = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const rows = (await db.runAndReadAll('SUMMARIZE t')).getRowObjects();
  const summarize = (performance.now() - t0) / 1000;
  console.log(`run ${load.toFixed(3)} ${summarize.toFixed(3)}`);
  summary = rows;
  db.closeSync?.();
  instance.closeSync?.();
}
const show = (v) => (v === null || v === undefined ? '-' : String(v).replaceAll(' ', '_'));
for (const row of summary) {
  console.log(['summary', row.column_name, row.column_type, row.min, row.max,
               row.approx_unique, row.avg, row.std, row.q25, row.q50, row.q75,
               row.count].map(show).join(' '));
}
