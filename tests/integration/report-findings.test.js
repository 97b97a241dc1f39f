'use strict';
// `report` on real programs, as a user reads it: which process and thread a
// finding belongs to, startup apart from blocking, batch runs without lag,
// the library frame kept as context with the user's line as the location,
// and the filters (--pid, --only, --min-severity, --include/--exclude,
// --user-code) giving the same list in text, JSON and HTML.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { TEST_NODE, testNodeEnv, tmpdir, record, looptrace } = require('./lib');

function report(db, extra = []) {
  const r = looptrace(['report', '--format', 'json', ...extra, db]);
  assert.strictEqual(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function text(db, extra = []) {
  const r = looptrace(['report', ...extra, db]);
  assert.strictEqual(r.status, 0, r.stderr);
  return r.stdout;
}

// A service: a server that a client in the same process calls; one request
// handler spins 150 ms inside a library (node_modules/spinlib) it calls
// from the user's line marked HERE.
function serviceApp() {
  const dir = tmpdir();
  fs.mkdirSync(path.join(dir, 'node_modules/spinlib'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'node_modules/spinlib/index.js'), [
    "'use strict';",
    'exports.spin = function spin(ms) {',
    '  const until = Date.now() + ms;',
    '  let n = 0;',
    '  while (Date.now() < until) n++;',
    '  return n;',
    '};',
    '',
  ].join('\n'));
  const app = path.join(dir, 'app.js');
  fs.writeFileSync(app, [
    "'use strict';",
    "const http = require('node:http');",
    "const { spin } = require('spinlib');",
    'const server = http.createServer((req, res) => {',
    "  const n = req.url === '/slow' ? spin(150) : 0; // HERE",
    '  res.end(String(n));',
    '});',
    'server.listen(0, async () => {',
    '  const { port } = server.address();',
    "  for (const p of ['/slow', '/fast', '/slow']) {",
    '    const r = await fetch(`http://127.0.0.1:${port}${p}`);',
    '    await r.text();',
    '  }',
    '  server.close();',
    '});',
    '',
  ].join('\n'));
  return { dir, app, line: 5 };
}

test('a blocking request handler: the user line, the library as context, pid/tid/thread/script', () => {
  const { dir, app, line } = serviceApp();
  const r = record([TEST_NODE, app], { cwd: dir, env: testNodeEnv() });
  assert.strictEqual(r.status, 0, r.stderr);
  const j = report(r.db);
  // (The first fetch() loads undici: a long nextTick that is module loading.)
  const blocking = j.findings.filter((f) => f.kind === 'blocking-task' && f.type === 'HTTPINCOMINGMESSAGE');
  assert.strictEqual(blocking.length, 1, JSON.stringify(j.findings.map((f) => f.message)));
  const f = blocking[0];
  assert.ok(f.pid > 0 && f.tid > 0, 'pid and tid');
  assert.strictEqual(f.thread_name, 'main');
  assert.strictEqual(f.script, app);
  assert.strictEqual(f.metrics, undefined);
  // Never located inside node_modules: the user's own code or nothing.
  if (f.location) assert.ok(!f.location.file.includes('node_modules'), JSON.stringify(f.location));
  if (f.samples > 0) {
    // Sampled while it ran: the calling line, the library that ran.
    assert.deepStrictEqual([f.location.file, f.location.line], [app, line]);
    assert.strictEqual(f.library_location.package, 'spinlib');
    assert.match(f.message, /in spin, called from .*app\.js:5/);
  } else {
    assert.ok(f.location || f.location_note, 'a location or a note saying why there is none');
  }
  // The figures in the text are the JSON's.
  assert.match(f.message, new RegExp(`CPU-bound: ${Math.round(f.cpu_ms)} `));
  assert.strictEqual(j.metrics.mode, 'service');
  assert.ok(j.metrics.event_loop_lag && j.metrics.event_loop_lag.count > 0);
  assert.strictEqual(j.processes.length, 1);
  assert.strictEqual(j.processes[0].pid, f.pid);
  // Text: one header line for the process, startup is info and apart.
  const t = text(r.db);
  assert.match(t, new RegExp(`^process ${f.pid} .*app\\.js \\(main thread\\), [0-9.]+ s$`, 'm'));
  assert.doesNotMatch(t, /The main module blocked/);
});

test('startup is its own kind, never an error; --only and --min-severity filter it', () => {
  const dir = tmpdir();
  const prog = path.join(dir, 'startup.js');
  fs.writeFileSync(prog, [
    "'use strict';",
    'const rows = [];',
    'for (let i = 0; i < 300000; i++) rows.push({ id: i, name: `row ${i}` });',
    'const json = JSON.stringify(rows);',
    "setTimeout(() => console.log(json.length), 5);",
    '',
  ].join('\n'));
  const r = record([TEST_NODE, prog], { cwd: dir, env: testNodeEnv() });
  assert.strictEqual(r.status, 0, r.stderr);
  const j = report(r.db);
  const startup = j.findings.filter((f) => f.kind === 'startup');
  assert.strictEqual(startup.length, 1);
  assert.notStrictEqual(startup[0].severity, 'error');
  assert.strictEqual(startup[0].location.file, prog);
  assert.ok(!j.findings.some((f) => f.kind === 'blocking-task' && f.queue === 'main'));
  assert.deepStrictEqual(report(r.db, ['--only', 'startup']).findings.map((f) => f.kind), ['startup']);
  if (startup[0].severity === 'info') {
    const loud = report(r.db, ['--min-severity', 'warning']).findings;
    assert.ok(!loud.some((f) => f.kind === 'startup'));
  }
});

test('a batch run has no lag percentiles; processes and threads are named', () => {
  const dir = tmpdir();
  const prog = path.join(dir, 'batch.js');
  // Parent: CPU work in immediates (never waits for I/O), one child process.
  fs.writeFileSync(prog, [
    "'use strict';",
    "const { spawnSync } = require('node:child_process');",
    "spawnSync(process.execPath, ['-e', 'let s = 0; for (let i = 0; i < 3e7; i++) s += i; console.log(s)'], { stdio: 'inherit' });",
    'let left = 5;',
    'function chunk() {',
    '  const until = Date.now() + 30;',
    '  while (Date.now() < until);',
    '  if (--left) setImmediate(chunk);',
    '}',
    'setImmediate(chunk);',
    '',
  ].join('\n'));
  const r = record([TEST_NODE, prog], { cwd: dir, env: testNodeEnv() });
  assert.strictEqual(r.status, 0, r.stderr);
  const j = report(r.db);
  assert.strictEqual(j.processes.length, 2, JSON.stringify(j.processes));
  const parent = j.processes.find((p) => p.script === prog);
  const child = j.processes.find((p) => p !== parent);
  assert.ok(parent && child, 'the parent and the node -e child');
  assert.match(child.command, /-e/);
  // The metrics describe a batch run: no lag, a busy-time breakdown.
  assert.strictEqual(j.metrics.mode, 'batch');
  assert.strictEqual(j.metrics.event_loop_lag, null);
  assert.ok(j.metrics.busy_by_queue_ms.immediate >= 100, JSON.stringify(j.metrics.busy_by_queue_ms));
  const t = text(r.db);
  assert.match(t, /^2 processes$/m);
  assert.match(t, /batch run: never waited for I\/O/);
  assert.doesNotMatch(t, /event-loop lag \(/);
  // --pid narrows findings and processes to one process.
  const only = report(r.db, ['--pid', String(child.pid)]);
  assert.deepStrictEqual(only.processes.map((p) => p.pid), [child.pid]);
  assert.ok(only.findings.every((f) => f.pid === child.pid));
  for (const f of j.findings) {
    assert.ok(f.tid > 0 && f.thread_name, `${f.kind} names its thread`);
    assert.ok(f.severity !== 'error' || f.kind !== 'blocking-task', 'a batch run has no blocking errors');
  }
});

test('a worker thread is named as such', () => {
  const dir = tmpdir();
  const prog = path.join(dir, 'worker.js');
  fs.writeFileSync(prog, [
    "'use strict';",
    "const { Worker } = require('node:worker_threads');",
    "const code = 'setTimeout(() => { const until = Date.now() + 120; while (Date.now() < until); }, 5)';",
    "const w = new Worker(code, { eval: true });",
    "w.on('exit', () => console.log('done'));",
    '',
  ].join('\n'));
  const r = record([TEST_NODE, prog], { cwd: dir, env: testNodeEnv() });
  assert.strictEqual(r.status, 0, r.stderr);
  const j = report(r.db);
  const blocking = j.findings.filter((f) => f.kind === 'blocking-task');
  assert.strictEqual(blocking.length, 1, JSON.stringify(j.findings.map((f) => f.message)));
  assert.notStrictEqual(blocking[0].tid, blocking[0].pid);
  assert.match(blocking[0].thread_name, /^worker/);
  assert.match(text(r.db), /blocking-task \(thread worker/);
});

test('filters: --include/--exclude on the location, --user-code, bad values exit 2', () => {
  const { dir, app } = serviceApp();
  const r = record([TEST_NODE, app], { cwd: dir, env: testNodeEnv() });
  assert.strictEqual(r.status, 0, r.stderr);
  const all = report(r.db).findings;
  const located = all.filter((f) => f.location);
  assert.ok(located.length > 0);
  const inc = report(r.db, ['--include', '*/app.js']).findings;
  assert.deepStrictEqual(inc.map((f) => f.kind), located.filter((f) => f.location.file === app).map((f) => f.kind));
  const exc = report(r.db, ['--exclude', '*/app.js']).findings;
  assert.ok(exc.every((f) => !f.location || f.location.file !== app));
  assert.strictEqual(inc.length + exc.length, all.length);
  // Text and HTML show the same list.
  const html = looptrace(['report', '--format', 'html', '--include', '*/app.js', r.db]);
  assert.strictEqual(html.status, 0, html.stderr);
  assert.strictEqual((html.stdout.match(/<article class="finding /g) || []).length, inc.length);
  // --user-code: with spinlib declared the user's code, nothing is in app.js.
  // (A start-up finding, when start-up took --block-ms on a busy machine,
  // names the main script whatever the user code is.)
  const lib = report(r.db, ['--user-code', '*/node_modules/spinlib/*']).findings.filter((f) => f.kind !== 'startup');
  assert.ok(lib.every((f) => !f.location || f.location.file.includes('spinlib')), JSON.stringify(lib.map((f) => f.location)));
  for (const bad of [['--only', 'nonsense'], ['--min-severity', 'fatal'], ['--pid', 'x']]) {
    const b = looptrace(['report', ...bad, r.db]);
    assert.strictEqual(b.status, 2, bad.join(' '));
    assert.strictEqual(b.stderr.trim().split('\n').length, 1, 'one line');
  }
});

// The handler a then-made promise was chained with travels with that promise
// (agent.js HandlerTag), however many other `.then` calls come before it
// rejects: the agent used to keep only the last 4096 handlers, and placed
// this one at `save` (line 3), where the chain's creation stacks lead.
test('an unhandled .then rejection is placed at its handler after thousands of other thens', () => {
  const dir = tmpdir();
  const prog = path.join(dir, 'many-thens.js');
  fs.writeFileSync(prog, [
    "'use strict';",
    "const { setTimeout: sleep } = require('node:timers/promises');",
    "async function save(x) { await sleep(200); throw new Error('save failed: ' + x); }",
    'const pending = save(1);',
    "pending.then(() => console.log('saved')); // HERE: line 5, no rejection handler",
    '(async () => {',
    '  for (let i = 0; i < 6000; i++) await Promise.resolve(i).then((v) => v + 1);',
    "  console.log('6000 thens done');",
    '})();',
    '',
  ].join('\n'));
  const r = record([TEST_NODE, '--unhandled-rejections=warn', prog], { cwd: dir, env: testNodeEnv() });
  assert.strictEqual(r.status, 0, r.stderr);
  const j = report(r.db);
  const rejections = j.findings.filter((f) => f.kind === 'unhandled-rejection');
  assert.strictEqual(rejections.length, 1, JSON.stringify(j.findings.map((f) => f.message)));
  assert.match(rejections[0].message, /save failed: 1/);
  assert.deepStrictEqual([rejections[0].location.file, rejections[0].location.line], [prog, 5],
    JSON.stringify(rejections[0]));
});
