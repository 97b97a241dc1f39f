'use strict';
// `looptrace export` windows and encodings on a real recorded trace (a
// program with child processes and a worker thread): timestamps in fixed
// notation with the nanoseconds, --from/--to, --pid and --tid keep exactly
// their dispatches, and -o x.json.gz is gzip that zlib opens to the same
// JSON.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { FIXTURES, looptrace, record, sql, tmpdir } = require('./lib');

let db;
test.before(() => {
  const r = record(['node', 'family.js'], { cwd: FIXTURES });
  assert.strictEqual(r.status, 0, r.stderr);
  db = r.db;
});

function exportRaw(args, name = 'out.json') {
  const out = path.join(tmpdir(), name);
  const r = looptrace(['export', '-o', out, ...args, db]);
  assert.strictEqual(r.status, 0, r.stderr);
  return fs.readFileSync(out);
}

function exportJson(args) {
  return JSON.parse(exportRaw(args).toString('utf8'));
}

const slicesOf = (trace) => trace.traceEvents.filter((e) => e.ph === 'B');
const timed = (trace) => trace.traceEvents.filter((e) => e.ph !== 'M');

test('every ts is microseconds in fixed notation with three decimals (ns)', () => {
  const text = exportRaw([]).toString('utf8');
  const all = [...text.matchAll(/"ts":([^,}]*)/g)].map((m) => m[1]);
  assert.ok(all.length > 50, `only ${all.length} timestamps`);
  for (const ts of all) assert.match(ts, /^-?\d+\.\d{3}$/, `ts ${ts} is not fixed notation`);
  assert.ok(!/"ts":[^,}]*e/i.test(text), 'no exponent anywhere');
  // a slice starts exactly at its dispatch's begin_ns, to the nanosecond
  const [{ origin }] = sql(db, 'SELECT min(start_ns) AS origin FROM threads');
  const rows = sql(db, 'SELECT seq, begin_ns FROM dispatches ORDER BY seq');
  const trace = JSON.parse(text);
  const bySeq = new Map(slicesOf(trace).map((e) => [e.args.seq, e]));
  const tsText = new Map();
  // map each B event's raw ts text through its position in the file
  for (const m of text.matchAll(/"ph":"B","pid":\d+,"tid":\d+,"ts":([^,}]*),[^]*?"seq":(\d+)/g)) tsText.set(Number(m[2]), m[1]);
  for (const { seq, begin_ns } of rows.slice(0, 20)) {
    const ns = BigInt(begin_ns) - BigInt(origin);
    const want = `${ns / 1000n}.${String(ns % 1000n).padStart(3, '0')}`;
    assert.ok(bySeq.has(seq), `dispatch #${seq} exported`);
    assert.strictEqual(tsText.get(seq), want, `dispatch #${seq}`);
  }
});

test('--from/--to keep the dispatches of the window and the time they cover', () => {
  const [{ lo, hi }] = sql(db, 'SELECT min(seq) + 3 AS lo, min(seq) + 12 AS hi FROM dispatches');
  const trace = exportJson(['--from', String(lo), '--to', String(hi)]);
  const seqs = slicesOf(trace).map((e) => e.args.seq).sort((a, b) => a - b);
  const want = sql(db, `SELECT seq FROM dispatches WHERE seq BETWEEN ${lo} AND ${hi} ORDER BY seq`).map((r) => r.seq);
  assert.deepStrictEqual(seqs, want);
  const [{ origin }] = sql(db, 'SELECT min(start_ns) AS origin FROM threads');
  const [{ t0, t1 }] = sql(db, `SELECT min(begin_ns) AS t0, max(end_ns) AS t1 FROM dispatches WHERE seq BETWEEN ${lo} AND ${hi}`);
  const us0 = (t0 - origin) / 1e3 - 0.001, us1 = (t1 - origin) / 1e3 + 0.001;
  for (const e of timed(trace)) assert.ok(e.ts >= us0 && e.ts <= us1, `${e.ph} ${e.name} at ${e.ts} outside ${us0}..${us1}`);
  // flows only between exported dispatches, paired
  const flows = trace.traceEvents.filter((e) => e.ph === 's' || e.ph === 'f');
  for (const e of flows) assert.ok(e.id >= lo && e.id <= hi);
  assert.strictEqual(flows.filter((e) => e.ph === 's').length, flows.filter((e) => e.ph === 'f').length);
  // a window after --to is refused
  const r = looptrace(['export', '--from', String(hi), '--to', String(lo), db]);
  assert.strictEqual(r.status, 2);
  assert.match(r.stderr, /^looptrace: export: --from \d+ is after --to \d+/);
});

test('--pid keeps one process, --tid one thread', () => {
  const procs = sql(db, 'SELECT pid, count(*) AS n FROM dispatches GROUP BY pid ORDER BY n');
  assert.ok(procs.length >= 3, 'family.js runs children');
  const child = procs[0].pid;
  const byPid = exportJson(['--pid', String(child)]);
  assert.ok(byPid.traceEvents.length > 0);
  for (const e of byPid.traceEvents) assert.strictEqual(e.pid, child, `${e.ph} ${e.name}`);
  assert.strictEqual(slicesOf(byPid).length, procs[0].n);
  assert.ok(byPid.traceEvents.some((e) => e.name === 'process_name'));

  const [worker] = sql(db, 'SELECT t.pid, t.tid, (SELECT count(*) FROM dispatches d WHERE d.pid = t.pid AND d.tid = t.tid) AS n'
    + ' FROM threads t WHERE t.js_thread_id > 0 AND n > 0');
  assert.ok(worker, 'family.js has a worker thread with dispatches');
  const byTid = exportJson(['--tid', String(worker.tid)]);
  for (const e of byTid.traceEvents) assert.strictEqual(e.tid, worker.tid, `${e.ph} ${e.name}`);
  assert.strictEqual(slicesOf(byTid).length, worker.n);
  assert.ok(byTid.traceEvents.some((e) => e.name === 'thread_name' && e.args.name === 'worker 1'));

  const r = looptrace(['export', '--tid', '0', db]);
  assert.strictEqual(r.status, 2);
  assert.match(r.stderr, /--tid takes a thread id/);
});

test('-o x.json.gz writes gzip that zlib opens to the same JSON', () => {
  const plain = exportRaw([]).toString('utf8');
  const gz = exportRaw([], 'out.json.gz');
  assert.strictEqual(gz[0], 0x1f);
  assert.strictEqual(gz[1], 0x8b);
  const text = zlib.gunzipSync(gz).toString('utf8');
  assert.strictEqual(text, plain);
  assert.ok(JSON.parse(text).traceEvents.length > 0);
  assert.ok(gz.length < plain.length / 3, `compressed ${gz.length} of ${plain.length}`);
  // a window compresses too
  const part = JSON.parse(zlib.gunzipSync(exportRaw(['--pid', String(sql(db, 'SELECT pid FROM dispatches LIMIT 1')[0].pid)], 'p.json.gz')));
  assert.ok(slicesOf(part).length > 0);
});
