'use strict';
// The recorder as a user meets it: crash safety, --duration, children and
// workers, exit statuses, the trace's content, and clean refusals.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { FIXTURES, looptrace, record, replayJson, sql, tmpdir, outputLines } = require('./lib');

test('SIGKILL leaves a trace with everything written before the kill', () => {
  const r = record(['node', 'kill-self.js'], { cwd: FIXTURES });
  assert.strictEqual(r.status, 128 + 9);
  assert.strictEqual(r.stdout, 'tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n');
  const lines = outputLines(replayJson(r.db));
  assert.deepStrictEqual(lines.map((l) => `${l.queue} ${l.line}`),
    ['timer tick 1', 'timer tick 2', 'timer tick 3', 'timer tick 4', 'timer tick 5']);
  const [t] = sql(r.db, 'SELECT clean_exit FROM threads WHERE tid = pid');
  assert.strictEqual(t.clean_exit, 0, 'the trace knows the process did not exit cleanly');
});

test('--duration ends the program and still writes a complete trace', () => {
  const started = Date.now();
  const r = record(['node', 'serve-forever.js'], { cwd: FIXTURES, extra: ['--duration', '1'] });
  const elapsed = Date.now() - started;
  assert.strictEqual(r.status, 130, 'ended by SIGINT');
  assert.ok(elapsed < 10000, `took ${elapsed} ms`);
  assert.match(r.stdout, /^listening\n(still here\n)+$/);
  const lines = outputLines(replayJson(r.db));
  assert.strictEqual(lines.map((l) => l.line).join('\n') + '\n', r.stdout, 'all output is in the trace');
  const [m] = sql(r.db, "SELECT value FROM meta WHERE key = 'exit_status'");
  assert.strictEqual(m.value, '130');
});

test('child processes and worker threads are traced, each with its own pid/thread', () => {
  const r = record(['node', 'family.js'], { cwd: FIXTURES });
  assert.strictEqual(r.status, 0, r.stderr);
  const threads = sql(r.db, 'SELECT pid, tid, js_thread_id, argv FROM threads WHERE js_thread_id IS NOT NULL');
  const pids = new Set(threads.map((t) => t.pid));
  assert.ok(pids.size >= 3, `expected parent and two children, got ${JSON.stringify(threads)}`);
  assert.ok(threads.some((t) => t.js_thread_id > 0), 'the worker thread has its own stream');
  const lines = outputLines(replayJson(r.db));
  const own = lines.find((l) => l.line === 'child with own env');
  assert.ok(own, 'a child spawned with a stripped environment is still traced');
  assert.notStrictEqual(own.pid, threads.find((t) => t.argv.includes('family.js')).pid);
  assert.strictEqual(own.queue, 'timer');
});

test('exit status is the command\'s, including a missing command', () => {
  assert.strictEqual(record(['node', '-e', 'process.exit(7)']).status, 7);
  const missing = record(['/nonexistent/program']);
  assert.strictEqual(missing.status, 127);
  assert.match(missing.stderr, /cannot run '\/nonexistent\/program'/);
});

test('the summary line reports events, dispatches and the trace path', () => {
  const dir = tmpdir();
  const db = path.join(dir, 't.db');
  const r = looptrace(['record', '-o', db, '--', 'node', '-e', 'setTimeout(() => {}, 1)']);
  assert.strictEqual(r.status, 0);
  assert.match(r.stderr, /^looptrace: \d+ events, \d+ dispatches, \d+ threads, [\d.]+ MiB raw \([\d.]+ B\/event\), imported in [\d.]+ s -> .*t\.db\n$/);
});

test('rejections are recorded with reason, location and late handling', () => {
  const r = record(['node', 'late-handled.js'], { cwd: FIXTURES });
  assert.strictEqual(r.status, 0);
  const rows = sql(r.db, 'SELECT kind, reason, promise_id FROM rejections ORDER BY id');
  assert.deepStrictEqual(rows.map((x) => x.kind), ['unhandled', 'handled-late']);
  assert.match(rows[0].reason, /^Error: late\n\s+at .*late-handled\.js:3/);
  assert.strictEqual(rows[0].promise_id, rows[1].promise_id, 'both name the same promise');
  const [p] = sql(r.db, `SELECT state FROM promises WHERE id = ${rows[0].promise_id}`);
  assert.strictEqual(p.state, 'rejected');
});

test('a fatal unhandled rejection is in the trace with its stack', () => {
  const r = record(['node', 'unhandled-rejection.js'], { cwd: FIXTURES });
  assert.strictEqual(r.status, 1);
  const [row] = sql(r.db, 'SELECT kind, reason FROM rejections');
  assert.strictEqual(row.kind, 'unhandled');
  assert.match(row.reason, /Error: no config file\n\s+at loadConfig \(.*unhandled-rejection\.js:5:9\)/);
});

test('resources carry type, creation site and timer delay', () => {
  const r = record(['node', 'crash-in-timer.js'], { cwd: FIXTURES });
  const [timer] = sql(r.db, "SELECT r.timer_delay_ms, s.file, s.line, s.column FROM resources r"
    + " JOIN stacks s ON s.stack_id = r.stack_id WHERE r.type = 'Timeout' AND s.file LIKE '%crash-in-timer.js'");
  assert.deepStrictEqual(timer, { timer_delay_ms: 5, file: path.join(FIXTURES, 'crash-in-timer.js'), line: 3, column: 1 });
});

test('program-controlled text survives JSON intact and escaped', () => {
  const r = record(['node', 'hostile.js'], { cwd: FIXTURES });
  assert.strictEqual(r.status, 0);
  const replay = replayJson(r.db);
  const all = replay.dispatches.flatMap((d) => d.output).join('');
  assert.ok(all.includes('<b>"quoted"</b> & \u001b[31mred\u001b[0m \u0007'));
  assert.ok(all.includes('\ufffd\ufffdA\n'), 'invalid UTF-8 became U+FFFD');
  const text = looptrace(['replay', r.db]).stdout;
  assert.ok(!text.includes('\u001b'), 'no raw escape sequences reach the terminal');
  assert.ok(text.includes('\\x1b[31mred'));
});

test('loop iterations and poll times are recorded', () => {
  const r = record(['node', '-e', 'let n = 0; const t = setInterval(() => { if (++n === 3) clearInterval(t); }, 20);']);
  const its = sql(r.db, 'SELECT n, poll_begin_ns, poll_end_ns, timeout_ms FROM iterations WHERE poll_begin_ns IS NOT NULL');
  assert.ok(its.length >= 3, `iterations: ${its.length}`);
  assert.ok(its.some((i) => i.poll_end_ns - i.poll_begin_ns > 10e6), 'idle time in poll is visible');
  assert.ok(its.some((i) => i.timeout_ms > 0));
  const timers = sql(r.db, "SELECT count(*) AS n FROM dispatches WHERE queue = 'timer'");
  assert.strictEqual(timers[0].n, 3);
});

test('bad input: one line on stderr and exit status 2', () => {
  const dir = tmpdir();
  const text = path.join(dir, 'notes.txt');
  fs.writeFileSync(text, 'just some text\n'.repeat(100));
  const good = record(['node', '-e', 'console.log(1)']);
  const truncated = path.join(dir, 'truncated.db');
  const bytes = fs.readFileSync(good.db);
  fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const foreign = path.join(dir, 'foreign.db');
  require('node:child_process').execFileSync('sqlite3', [foreign, 'CREATE TABLE x(y); INSERT INTO x VALUES(1);']);
  const cases = [
    [['replay', path.join(dir, 'missing.db')], /No such file/],
    [['replay', text], /not a looptrace trace/],
    [['replay', truncated], /corrupt or truncated/],
    [['replay', foreign], /foreign SQLite database/],
    [['replay', dir], /is a directory/],
    [['replay'], /no trace given/],
    [['replay', '--format', 'xml', good.db], /--format is text or json/],
    [['replay', '--bogus', good.db], /unknown option '--bogus'/],
    [['replay', '--format'], /missing value for '--format'/],
    [['record', '--bogus', '--', 'true'], /unknown option '--bogus'/],
    [['record', '-o'], /missing value for '-o'/],
    [['record', '--duration', 'soon', '--', 'true'], /--duration takes a positive number/],
    [['record'], /no command to record/],
    [['record', '-o', '/nonexistent-dir/t.db', '--', 'true'], /no such directory/],
    [['frobnicate'], /unknown command/],
    [['report', path.join(dir, 'missing.db')], /No such file/],
    [['report', truncated], /corrupt or truncated/],
    [['report', foreign], /foreign SQLite database/],
    [['report', '--block-ms', 'slow', good.db], /--block-ms takes a number/],
    [['report', '--format', 'yaml', good.db], /--format is text, json or html/],
    [['report'], /no trace given/],
    [['export', path.join(dir, 'missing.db')], /No such file/],
    [['export', '--format', 'svg', good.db], /--format is chrome/],
  ];
  for (const [args, message] of cases) {
    const r = looptrace(args);
    assert.strictEqual(r.status, 2, `${args.join(' ')}: status ${r.status}, stderr ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.strictEqual(r.stderr.split('\n').length, 2, `one line: ${JSON.stringify(r.stderr)}`);
    assert.match(r.stderr, /^looptrace: /);
  }
});

test('a refused recording leaves an existing trace untouched and no capture behind', () => {
  const dir = tmpdir();
  const db = path.join(dir, 't.db');
  assert.strictEqual(looptrace(['record', '-q', '-o', db, '--', 'node', '-e', 'console.log("first")']).status, 0);
  const before = fs.readFileSync(db);
  assert.strictEqual(looptrace(['record', '-q', '-o', dir, '--', 'true']).status, 2);
  assert.deepStrictEqual(fs.readFileSync(db), before);
  assert.deepStrictEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.looptrace-raw')), [], 'no capture left behind');
});
