// tests/conformance/summarize.mjs — reads the checks.json files the conformance suite wrote under
// an output directory (-o DIR → DIR/server-<scenario>-<timestamp>/checks.json) and prints one line
// per scenario with the messages of its failing checks. The suite itself only prints a summary on
// suite runs, so this is what tells a CI reader which check broke and why.
//   node summarize.mjs [--require SCENARIO:CHECK_ID,...]... RESULTS_DIR [EXPECTED_SCENARIO_COUNT]
// Exits 1 when any check is a FAILURE, a checks.json is unreadable, fewer scenarios reported
// than expected (a scenario that crashed before writing its results must not pass silently), or
// a --require'd check is missing or not SUCCESS (some scenarios report a server that lacks the
// feature under test as INFO or WARNING, which would otherwise pass).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const usage = () => {
  console.error('usage: node summarize.mjs [--require SCENARIO:CHECK_ID,...]... RESULTS_DIR [EXPECTED_SCENARIO_COUNT]');
  process.exit(2);
};
const required = new Map();  // scenario -> check ids that must be SUCCESS
const positional = [];
for (const args = process.argv.slice(2); args.length > 0;) {
  const arg = args.shift();
  if (arg !== '--require') {
    positional.push(arg);
    continue;
  }
  const spec = args.shift() ?? '';
  const colon = spec.indexOf(':');
  if (colon <= 0 || colon === spec.length - 1) usage();
  const ids = spec.slice(colon + 1).split(',').filter(Boolean);
  required.set(spec.slice(0, colon), [...(required.get(spec.slice(0, colon)) ?? []), ...ids]);
}
const [dir, expectedArg] = positional;
if (!dir || positional.length > 2) usage();

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
  const unmet = (required.get(scenario) ?? []).filter((id) => !checks.some((c) => c.id === id && c.status === 'SUCCESS'));
  required.delete(scenario);
  const notes = [
    ...failures.map((c) => `FAILURE ${c.id}: ${c.errorMessage ?? c.description}`),
    ...unmet.map((id) => {
      const seen = checks.filter((c) => c.id === id).map((c) => c.status);
      return `REQUIRED ${id}: must be SUCCESS (got ${seen.length > 0 ? seen.join(', ') : 'no such check'})`;
    }),
    ...warnings.map((c) => `warning ${c.id}: ${c.errorMessage ?? c.description}`),
  ];
  const bad = failures.length > 0 || unmet.length > 0;
  if (bad) failed = true;
  rows.push({ scenario, status: bad ? 'FAIL' : 'pass', notes });
}

rows.sort((a, b) => a.scenario.localeCompare(b.scenario));
const width = Math.max(8, ...rows.map((r) => r.scenario.length));
for (const row of rows) {
  console.log(`  ${row.scenario.padEnd(width)}  ${row.status}`);
  for (const note of row.notes) console.log(`  ${' '.repeat(width)}    ${note}`);
}
const passed = rows.filter((r) => r.status === 'pass').length;
console.log(`  ${passed}/${rows.length} scenarios passed`);

for (const scenario of required.keys()) {
  console.log(`  ${scenario}: required checks, but the scenario wrote no results`);
  failed = true;
}
const expected = Number(expectedArg ?? 0);
if (rows.length < expected) {
  console.log(`  only ${rows.length} of ${expected} scenarios wrote results`);
  failed = true;
}
process.exit(failed ? 1 : 0);
