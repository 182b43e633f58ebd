// tests/conformance/summarize.mjs — reads the checks.json files the conformance suite wrote under
// an output directory (-o DIR → DIR/server-<scenario>-<timestamp>/checks.json) and prints one line
// per scenario with the messages of its failing checks. The suite itself only prints a summary on
// suite runs, so this is what tells a CI reader which check broke and why.
//   node summarize.mjs RESULTS_DIR [EXPECTED_SCENARIO_COUNT]
// Exits 1 when any check is a FAILURE, a checks.json is unreadable, or fewer scenarios reported
// than expected (a scenario that crashed before writing its results must not pass silently).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, expectedArg] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node summarize.mjs RESULTS_DIR [EXPECTED_SCENARIO_COUNT]');
  process.exit(2);
}

let failed = false;
const rows = [];
for (const entry of readdirSync(dir, { withFileTypes: true })) {
  if (!entry.isDirectory()) continue;
  // server-<scenario>-<ISO timestamp with ':' and '.' replaced>; the timestamp starts with a year.
  const scenario = entry.name.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T.*$/, '');
  let checks;
  try {
    checks = JSON.parse(readFileSync(join(dir, entry.name, 'checks.json'), 'utf8'));
  } catch (err) {
    rows.push({ scenario, status: 'ERROR', notes: [`unreadable checks.json: ${err.message}`] });
    failed = true;
    continue;
  }
  const failures = checks.filter((c) => c.status === 'FAILURE');
  const warnings = checks.filter((c) => c.status === 'WARNING');
  const notes = [
    ...failures.map((c) => `FAILURE ${c.id}: ${c.errorMessage ?? c.description}`),
    ...warnings.map((c) => `warning ${c.id}: ${c.errorMessage ?? c.description}`),
  ];
  if (failures.length > 0) failed = true;
  rows.push({ scenario, status: failures.length > 0 ? 'FAIL' : 'pass', notes });
}

rows.sort((a, b) => a.scenario.localeCompare(b.scenario));
const width = Math.max(8, ...rows.map((r) => r.scenario.length));
for (const row of rows) {
  console.log(`  ${row.scenario.padEnd(width)}  ${row.status}`);
  for (const note of row.notes) console.log(`  ${' '.repeat(width)}    ${note}`);
}
const passed = rows.filter((r) => r.status === 'pass').length;
console.log(`  ${passed}/${rows.length} scenarios passed`);

const expected = Number(expectedArg ?? 0);
if (rows.length < expected) {
  console.log(`  only ${rows.length} of ${expected} scenarios wrote results`);
  failed = true;
}
process.exit(failed ? 1 : 0);
