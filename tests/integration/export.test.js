'use strict';
// `looptrace export --format chrome`: the JSON Perfetto and chrome://tracing
// open — slices paired per thread, one start and one finish per flow id,
// process and thread names, one slice per dispatch.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { FIXTURES, PUZZLES, looptrace, record, sql, tmpdir } = require('./lib');

function exportTrace(db) {
  const out = path.join(tmpdir(), 'trace.json');
  const r = looptrace(['export', '--format', 'chrome', '-o', out, db]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stderr, /^looptrace: \d+ slices, \d+ flows, \d+ spans, \d+ counter samples -> /);
  return JSON.parse(fs.readFileSync(out, 'utf8'));
}

function checkStructure(trace, db) {
  const events = trace.traceEvents;
  assert.ok(Array.isArray(events));
  // B/E pairs nest per thread, in file order, and never end before they begin
  const stacks = new Map();
  for (const e of events) {
    const key = `${e.pid}/${e.tid}`;
    if (!stacks.has(key)) stacks.set(key, []);
    const st = stacks.get(key);
    if (e.ph === 'B') st.push(e);
    if (e.ph === 'E') {
      const b = st.pop();
      assert.ok(b, `E without B on ${key}`);
      assert.ok(e.ts >= b.ts, `slice ${b.name} ends before it begins`);
    }
  }
  for (const [key, st] of stacks) assert.strictEqual(st.length, 0, `unclosed slices on ${key}`);
  // one slice per dispatch
  const [{ n }] = sql(db, 'SELECT count(*) AS n FROM dispatches');
  assert.strictEqual(events.filter((e) => e.ph === 'B').length, n);
  // flows: exactly one start and one finish per id, start not after finish
  const flows = new Map();
  for (const e of events.filter((x) => x.ph === 's' || x.ph === 'f')) {
    if (!flows.has(e.id)) flows.set(e.id, {});
    const f = flows.get(e.id);
    assert.ok(!f[e.ph], `flow ${e.id} has two '${e.ph}' events`);
    f[e.ph] = e;
  }
  assert.ok(flows.size > 0);
  for (const [id, f] of flows) {
    assert.ok(f.s && f.f, `flow ${id} is not paired`);
    assert.ok(f.s.ts <= f.f.ts, `flow ${id} goes back in time`);
  }
  // async spans paired by id
  const spans = new Map();
  for (const e of events.filter((x) => x.ph === 'b' || x.ph === 'e')) spans.set(e.id, (spans.get(e.id) || 0) + (e.ph === 'b' ? 1 : -1));
  for (const [id, open] of spans) assert.strictEqual(open, 0, `span ${id}`);
  // every process and thread has a name
  const named = new Set(events.filter((e) => e.name === 'thread_name').map((e) => `${e.pid}/${e.tid}`));
  for (const key of stacks.keys()) assert.ok(named.has(key), `thread ${key} has no name`);
  assert.ok(events.some((e) => e.name === 'process_name'));
}

test('a net round trip exports paired slices and flows', () => {
  const r = record(['node', '14-net-round-trip.js'], { cwd: PUZZLES });
  assert.strictEqual(r.status, 0);
  const trace = exportTrace(r.db);
  checkStructure(trace, r.db);
  const data = trace.traceEvents.find((e) => e.ph === 'B' && e.args && e.args.output === 'client got pong\n');
  assert.ok(data, 'the output is on its slice');
  assert.strictEqual(data.cat, 'io');
  assert.ok(trace.traceEvents.some((e) => e.ph === 'b' && e.cat === 'handle'), 'handle lifetimes');
  assert.ok(trace.traceEvents.some((e) => e.ph === 'C' && e.name === 'loop busy per iteration'));
});

test('several processes and threads', () => {
  const r = record(['node', 'family.js'], { cwd: FIXTURES });
  assert.strictEqual(r.status, 0);
  const trace = exportTrace(r.db);
  checkStructure(trace, r.db);
  assert.ok(new Set(trace.traceEvents.map((e) => e.pid)).size >= 3);
});

test('program-controlled names and output stay intact in the JSON', () => {
  const r = record(['node', 'hostile.js'], { cwd: FIXTURES });
  const trace = exportTrace(r.db);
  checkStructure(trace, r.db);
  const all = JSON.stringify(trace);
  assert.ok(trace.traceEvents.some((e) => e.args && typeof e.args.output === 'string'
    && e.args.output.includes('<b>"quoted"</b> & \u001b[31mred')));
  assert.ok(!/[\u0000-\u001f]/.test(all), 'no raw control characters in the file');
});
