'use strict';
// The recorder as a user meets it: crash safety, --duration, children and
// workers, exit statuses, the trace's content, and clean refusals.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { FIXTURES, looptrace, record, replayJson, sql, tmpdir, outputLines, testNodeEnv } = require('./lib');

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

test('--duration ends every process the command started, not only the first', () => {
  // A shell that starts two servers and exits only when they do: ending the
  // shell alone used to leave both running (re-parented to init).
  const marker = `looptrace-tree-${process.pid}-${Date.now()}`;
  const serve = `node -e "setInterval(() => {}, 1000) /* ${marker} */"`;
  const started = Date.now();
  const r = record(['sh', '-c', `${serve} & ${serve}; wait`], { extra: ['--duration', '2'] });
  const elapsed = Date.now() - started;
  const left = require('node:child_process').spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' });
  for (const pid of left.stdout.split('\n').filter(Boolean)) {
    try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
  }
  assert.strictEqual(left.stdout, '', `processes left running: ${left.stdout}`);
  assert.ok(elapsed < 10000, `took ${elapsed} ms`);
  // the shell and the servers that had started by then
  const procs = sql(r.db, 'SELECT pid FROM threads WHERE tid = pid');
  assert.ok(procs.length >= 2, `the shell and a server are in the trace: ${JSON.stringify(procs)}`);
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
    [['report', '--format', 'yaml', good.db], /--format is text, json, html or sarif/],
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

// --- in-dispatch samples, cleared timers, thread names, exec (issue 10) ------

// The frames of every sample taken in the dispatches sampled at file:line.
function samplesOfHandler(db, file, line) {
  return sql(db, `SELECT s.id, s.dispatch_seq, st.depth, st.function, st.file, st.line FROM samples s
    JOIN stacks st ON st.stack_id = s.stack_id
    WHERE s.dispatch_seq IN (SELECT s2.dispatch_seq FROM samples s2 JOIN stacks x ON x.stack_id = s2.stack_id
                             WHERE x.file = '${file.replace(/'/g, "''")}' AND x.line = ${line})
    ORDER BY s.id, st.depth`);
}

test('a slow readFileSync in an http handler is sampled at the handler line, readFileSync named', () => {
  const dir = tmpdir();
  const prog = path.join(dir, 'slow-read.js');
  // A FIFO fed slowly: readFileSync reads it chunk by chunk for ~0.4 s.
  fs.writeFileSync(prog, `const fs = require('fs');
const http = require('http');
const { spawn, execFileSync } = require('child_process');
const fifo = process.argv[2];
const server = http.createServer((req, res) => {
  const data = JSON.parse(fs.readFileSync(fifo));
  res.end(String(data.length));
});
server.listen(0, () => {
  execFileSync('mkfifo', [fifo]);
  spawn('sh', ['-c', 'exec > "$0"; echo "["; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do head -c 20000 /dev/zero | tr -c 1 1; echo ","; sleep 0.02; done; echo "0]"', fifo],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  http.get('http://127.0.0.1:' + server.address().port + '/', (res) => {
    res.resume();
    res.on('end', () => server.close());
  });
});
`);
  const r = record(['node', prog, path.join(dir, 'feed.fifo')]);
  assert.strictEqual(r.status, 0, r.stderr);
  const [m] = sql(r.db, "SELECT value FROM meta WHERE key = 'in_dispatch_samples'");
  assert.strictEqual(m.value, 'on');
  const frames = samplesOfHandler(r.db, prog, 6);
  assert.ok(frames.length > 0, 'the handler dispatch has samples');
  const [d] = sql(r.db, `SELECT queue, end_ns - begin_ns AS ns FROM dispatches WHERE seq = ${frames[0].dispatch_seq}`);
  assert.strictEqual(d.queue, 'io');
  assert.ok(d.ns > 200e6, `the handler ran ${d.ns / 1e6} ms`);
  assert.ok(frames.some((f) => f.file === prog && f.line === 6), 'the handler line');
  assert.ok(frames.some((f) => f.function === 'readFileSync' && f.file === 'node:fs'), JSON.stringify(frames.slice(0, 8)));
});

test('JSON.parse of a big file and a CPU loop in a timer are sampled in their dispatches', () => {
  const dir = tmpdir();
  const big = path.join(dir, 'big.json');
  const items = [];
  for (let i = 0; i < 120000; i++) items.push({ id: i, name: `item${i}`, tags: ['a', 'b'], v: i / 7 });
  fs.writeFileSync(big, JSON.stringify(items));
  const prog = path.join(dir, 'cpu.js');
  fs.writeFileSync(prog, `const fs = require('fs');
function spin(ms) { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x++; return x; }
setTimeout(function onTimer() {
  spin(200);
  setTimeout(function onParse() {
    const data = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
    console.log(data.length);
  }, 1);
}, 5);
`);
  const r = record(['node', prog, big]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.strictEqual(r.stdout, '120000\n');
  const rows = sql(r.db, `SELECT s.id, d.type, st.depth, st.function, st.file, st.line FROM samples s
    JOIN dispatches d ON d.seq = s.dispatch_seq JOIN stacks st ON st.stack_id = s.stack_id
    WHERE st.file = '${prog}' ORDER BY s.id, st.depth`);
  assert.ok(rows.some((x) => x.type === 'Timeout' && x.function === 'spin' && x.line === 2), 'the loop, in spin');
  assert.ok(rows.some((x) => x.type === 'Timeout' && x.function === 'onTimer' && x.line === 4), 'called from onTimer');
  // V8 takes interrupts in JavaScript only: a sample of the native parse is
  // taken when the handler's code resumes, on its line or the next.
  assert.ok(rows.some((x) => x.function === 'onParse' && (x.line === 6 || x.line === 7)), JSON.stringify(rows));
});

test('LOOPTRACE_SAMPLE_MS=0 turns sampling off and says so', () => {
  const r = record(['node', '-e', 'const end = Date.now() + 150; while (Date.now() < end);'],
    { env: testNodeEnv({ LOOPTRACE_SAMPLE_MS: '0' }) });
  assert.strictEqual(r.status, 0, r.stderr);
  const [m] = sql(r.db, "SELECT value FROM meta WHERE key = 'in_dispatch_samples'");
  assert.strictEqual(m.value, 'off');
  assert.deepStrictEqual(sql(r.db, 'SELECT count(*) AS n FROM samples'), [{ n: 0 }]);
});

test('timers cleared before --duration ends the program are not live at the end', () => {
  const dir = tmpdir();
  const prog = path.join(dir, 'boot.js');
  // avvio-style: a boot timeout armed, then cleared once booted.
  fs.writeFileSync(prog, `const http = require('http');
const t = setTimeout(function bootTimeout() { throw new Error('boot timed out'); }, 10000);
const byNumber = +setTimeout(function other() {}, 10000);
const im = setImmediate(function never() {});
clearImmediate(im);
const live = setTimeout(function stillArmed() {}, 60000);
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, () => { clearTimeout(t); clearTimeout(byNumber); console.log('listening'); });
`);
  const r = record(['node', prog], { extra: ['--duration', '2'] });
  assert.strictEqual(r.status, 130, r.stderr);
  const rows = sql(r.db, "SELECT callback, cleared_ns IS NOT NULL AS cleared FROM resources WHERE type IN ('Timeout', 'Immediate') AND callback IS NOT NULL ORDER BY id");
  const by = Object.fromEntries(rows.map((x) => [x.callback, x.cleared]));
  assert.strictEqual(by.bootTimeout, 1);
  assert.strictEqual(by.other, 1, 'cleared by its number');
  assert.strictEqual(by.never, 1, 'clearImmediate');
  assert.strictEqual(by.stillArmed, 0);
  const [srv] = sql(r.db, "SELECT destroyed_ns FROM resources WHERE type = 'TCPSERVERWRAP'");
  assert.strictEqual(srv.destroyed_ns, null, 'the server was still listening');
});

test('timers converted to numbers are remembered weakly and swept: a long-running service keeps none', () => {
  // 200k timers made, converted to their number and run; clearing a live
  // timer by its number still works.  Unswept, the agent's map kept 15 MB.
  const r = record(['node', '--expose-gc', '-e', `
function one() { return +setTimeout(() => {}, 0); }
(async () => {
  for (let i = 0; i < 2000; i++) {
    for (let k = 0; k < 100; k++) one();
    await new Promise((resolve) => setImmediate(resolve));
  }
  globalThis.gc();
  const live = setTimeout(() => console.log('cleared timer ran'), 50);
  clearTimeout(+live);
  console.log(Math.round(process.memoryUsage().heapUsed / 1e6));
})();`]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /cleared timer ran/);
  const mb = Number(r.stdout.trim());
  assert.ok(mb > 0 && mb < 10, `heap ${mb} MB after 200k timers (3 MB untraced)`);
});

test('callbacks keep their names and timer sites when frozen, proxied or bound; the program sees nothing on them', () => {
  // The agent remembers a callback's name and a timer's creation stack in
  // private fields of the function: a frozen function cannot take them (it
  // is looked up every time), a proxy and a bound function can.
  const r = record(['node', '-e', `'use strict';
function ticker() {}
Object.freeze(ticker);
setTimeout(ticker, 1); setTimeout(ticker, 2);
const named = new Proxy(function named() {}, {});
setImmediate(named); setImmediate(named);
const bound = ticker.bind(null);
setTimeout(bound, 3);
setTimeout(() => console.log(Object.getOwnPropertyNames(ticker).sort().join(','),
  Reflect.ownKeys(bound).length, Object.isFrozen(ticker), JSON.stringify(named)), 5);`]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.strictEqual(r.stdout, 'length,name,prototype 2 true undefined\n');
  const rows = sql(r.db, 'SELECT r.type, r.callback, (SELECT s.line FROM stacks s WHERE s.stack_id = r.stack_id'
    + " AND s.file = '[eval]' ORDER BY s.depth LIMIT 1) AS line FROM resources r"
    + " WHERE r.type IN ('Timeout', 'Immediate') AND r.callback IS NOT NULL ORDER BY r.created_ns");
  assert.deepStrictEqual(rows.slice(0, 5), [
    { type: 'Timeout', callback: 'ticker', line: 4 }, { type: 'Timeout', callback: 'ticker', line: 4 },
    { type: 'Immediate', callback: 'named', line: 6 }, { type: 'Immediate', callback: 'named', line: 6 },
    { type: 'Timeout', callback: 'bound ticker', line: 8 },
  ]);
});

test('clearTimeout and friends keep their name and length, globally and in timers', () => {
  const r = record(['node', '-e', `const t = require('timers');
console.log([clearTimeout, clearInterval, clearImmediate].map((f) => f.name + '/' + f.length).join(' '),
  t.clearTimeout === clearTimeout, t.clearImmediate === clearImmediate);
clearTimeout(null); clearTimeout(42); clearTimeout({}); clearInterval('x'); clearImmediate(undefined);`]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.strictEqual(r.stdout, 'clearTimeout/1 clearInterval/1 clearImmediate/1 true true\n');
});

test('threads are named main and worker N; a process that execs a native binary says so', () => {
  const w = record(['node', '-e', "new (require('worker_threads').Worker)('setTimeout(() => {}, 20)', { eval: true })"]);
  assert.strictEqual(w.status, 0, w.stderr);
  const names = sql(w.db, 'SELECT thread_name FROM threads WHERE thread_name IS NOT NULL ORDER BY thread_name')
    .map((x) => x.thread_name);
  assert.deepStrictEqual(names, ['main', 'worker 1']);

  const e = record(['node', '-e', "require('child_process').execFileSync('/bin/sh', ['-c', 'exec sleep 1'])"]);
  assert.strictEqual(e.status, 0, e.stderr);
  const shell = sql(e.db, "SELECT pid, exec_path, end_reason, argv FROM threads WHERE argv LIKE '%exec sleep 1%' AND is_main_thread = 1 AND pid <> (SELECT min(pid) FROM threads)");
  assert.strictEqual(shell.length, 1, JSON.stringify(sql(e.db, 'SELECT * FROM threads')));
  assert.match(shell[0].exec_path, /\/sleep$/);
  assert.strictEqual(shell[0].end_reason, 'exec');
  const lineage = sql(e.db, `SELECT detail FROM lineage WHERE kind = 'exec' AND pid = ${shell[0].pid} ORDER BY ts_ns`);
  assert.match(lineage[lineage.length - 1].detail, /\/sleep$/);
  const [main] = sql(e.db, 'SELECT end_reason FROM threads WHERE pid = (SELECT min(pid) FROM threads) AND is_main_thread = 1');
  assert.strictEqual(main.end_reason, 'exit');
});

test('a worker waiting for work in Atomics.wait is idle, not sampled; its long task is', () => {
  const r = record(['node', '-e', `const { Worker } = require('worker_threads');
new Worker(\`
const sab = new Int32Array(new SharedArrayBuffer(4));
function spin(ms) { const end = Date.now() + ms; while (Date.now() < end); }
setTimeout(function poolLoop() {
  for (let i = 0; i < 3; i++) {
    Atomics.wait(sab, 0, 0, 200);
    spin(i === 2 ? 150 : 5);
  }
}, 5);
\`, { eval: true });`]);
  assert.strictEqual(r.status, 0, r.stderr);
  // Samples of the pool loop's timer callback only: on a busy machine the
  // worker's own start-up (its top-level script) may run long enough to be
  // sampled too, which is right but not what this test is about.
  // Every sample lies after the three waits (each times out after 200 ms:
  // at least 600 ms into the callback), in the 150 ms spin: none while the
  // worker waited.  Most are in spin; a profiler tick may also land in
  // poolLoop's own code between the wait and the spin, or, at load, in the
  // timers' code just after poolLoop returned: what the test is about is
  // when they fall, not their innermost frame.
  const rows = sql(r.db, `SELECT t.thread_name, st.function, (s.ts_ns - d.begin_ns) / 1e6 AS at_ms FROM samples s
    JOIN threads t ON t.pid = s.pid AND t.tid = s.tid
    JOIN stacks st ON st.stack_id = s.stack_id AND st.depth = 0
    JOIN dispatches d ON d.seq = s.dispatch_seq AND d.type = 'Timeout' WHERE t.thread_name LIKE 'worker%'`);
  assert.ok(rows.some((x) => x.thread_name === 'worker 1' && x.function === 'spin'), JSON.stringify(rows));
  for (const x of rows) {
    assert.ok(x.at_ms >= 595, `a sample ${x.at_ms} ms into the callback, while the worker waited: ${JSON.stringify(rows)}`);
  }
});
