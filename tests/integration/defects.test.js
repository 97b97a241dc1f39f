'use strict';
// The defect corpus (examples/defects): every positive program, recorded
// for real, must produce its finding at the expected file:line with at least
// the expected figures; every negative must produce nothing above `info`.
// Expectations were measured independently with plain node
// (examples/defects/tools/verify.js).
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { SOURCE_DIR, TEST_NODE, testNodeEnv, record, looptrace } = require('./lib');

const DEFECTS = path.join(SOURCE_DIR, 'examples/defects');
const expected = require(path.join(DEFECTS, 'expected.json'));

function report(db) {
  const r = looptrace(['report', '--format', 'json', db]);
  assert.strictEqual(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function meets(finding, min) {
  for (const [key, want] of Object.entries(min || {})) {
    const have = finding[key];
    if (typeof want === 'number' && !(typeof have === 'number' && have >= want)) return `${key} ${have} < ${want}`;
    if (typeof want === 'boolean' && have !== want) return `${key} ${have} !== ${want}`;
    if (typeof want === 'string' && !(typeof have === 'string' && have.includes(want))) return `${key} ${JSON.stringify(have)} lacks ${JSON.stringify(want)}`;
  }
  return null;
}

for (const entry of expected) {
  test(entry.program, () => {
    const extra = entry.duration ? ['--duration', String(entry.duration)] : [];
    const r = record([TEST_NODE, ...entry.node_args, entry.program], { cwd: DEFECTS, extra, env: testNodeEnv() });
    assert.strictEqual(r.status, entry.exit_status, `exit status; stderr: ${r.stderr.slice(0, 500)}`);
    const { findings } = report(r.db);
    if (entry.findings.length === 0) {
      const loudOf = (list) => list.filter((f) => f.severity !== 'info').map((f) => `${f.kind}: ${f.message}`);
      let loud = loudOf(findings);
      if (loud.length) {
        // A busy machine can hold a short callback off the CPU for tens of
        // milliseconds (seen in CI: a 70 ms ZLIB callback while Chromium ran
        // beside it).  A real false positive repeats; a hiccup does not.
        const again = record([TEST_NODE, ...entry.node_args, entry.program], { cwd: DEFECTS, extra, env: testNodeEnv() });
        loud = loudOf(report(again.db).findings);
      }
      assert.deepStrictEqual(loud, [], 'a negative has no finding above info (twice in a row)');
      return;
    }
    const file = path.join(DEFECTS, entry.program);
    for (const want of entry.findings) {
      const candidates = findings.filter((f) => f.kind === want.kind);
      assert.ok(candidates.length > 0, `no ${want.kind} finding; got ${JSON.stringify(findings.map((f) => f.kind))}`);
      // Placed by stacks sampled while it ran, a blocking task may be named
      // at the line inside the function that held the loop (sampled_lines).
      const lineOk = (f) => want.line == null || f.location.line === want.line
        || (f.samples > 0 && (want.sampled_lines || []).includes(f.location.line));
      const placed = candidates.filter((f) => f.location && f.location.file === file && lineOk(f));
      assert.ok(placed.length > 0, `no ${want.kind} at ${entry.program}:${want.line}; got `
        + JSON.stringify(candidates.map((f) => f.location)));
      const problems = placed.map((f) => meets(f, want.min));
      assert.ok(problems.includes(null), `figures: ${problems.join('; ')}`);
    }
  });
}
