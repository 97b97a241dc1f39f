'use strict';
// The flight recorder (record --ring): dumps on a loop lag, on request
// (looptrace dump -p, SIGUSR2), on an unhandled rejection and at exit; every
// analysis reads a dump; the recorder's memory stays bounded by SIZE.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { FIXTURES, LOOPTRACE, TEST_NODE, looptrace, sql, tmpdir, testNodeEnv } = require('./lib');

function meta(db) {
  const m = {};
  for (const row of sql(db, 'SELECT key, value FROM meta')) m[row.key] = row.value;
  return m;
}

function reportJson(db) {
  const r = looptrace(['report', '--format', 'json', db]);
  assert.strictEqual(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

// Start `looptrace record ARGS` without waiting; resolves with its status
// and stderr when it ends.
function startRecord(args) {
  const child = spawn(LOOPTRACE, ['record', ...args], { env: testNodeEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise((resolve) => child.on('exit', (status) => resolve({ status, stdout, stderr })));
  return { child, done };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The recorder's child (the traced program), once it runs.
async function tracedPid(recorderPid) {
  for (let i = 0; i < 100; i++) {
    try {
      const kids = fs.readFileSync(`/proc/${recorderPid}/task/${recorderPid}/children`, 'utf8').trim();
      if (kids) return Number(kids.split(/\s+/)[0]);
    } catch { /* not yet */ }
    await sleep(50);
  }
  throw new Error('the traced program did not start');
}

function rssAnonKiB(pid) {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

test('--ring 2s --trigger-lag 200ms: a 300 ms block is dumped with its 2 s window, found at its line', () => {
  const dir = tmpdir();
  const out = path.join(dir, 'flight.db');
  const r = looptrace(['record', '--ring', '2s', '--trigger-lag', '200ms', '-o', out, '--',
    TEST_NODE, 'flight-block.js', '3000', '5000'], { cwd: FIXTURES, env: testNodeEnv() });
  assert.strictEqual(r.status, 0, r.stderr);
  assert.ok(!fs.existsSync(out), 'a ring writes OUT-n.db, not OUT');
  const lag = path.join(dir, 'flight-1.db');
  const exit = path.join(dir, 'flight-2.db');
  assert.ok(fs.existsSync(lag) && fs.existsSync(exit), r.stderr);
  assert.match(r.stderr, /dump 1 \(lag: the loop stayed \d+ ms out of epoll/);
  assert.ok(!fs.existsSync(path.join(dir, 'flight-3.db')), 'one lag dump, then the exit dump');

  const m = meta(lag);
  assert.strictEqual(m.trigger, 'lag');
  assert.strictEqual(m.flight_dump, '1');
  assert.strictEqual(m.ring, '2s');
  const windowMs = (Number(m.window_end_ns) - Number(m.window_start_ns)) / 1e6;
  assert.ok(windowMs > 1900 && windowMs < 2100, `window of ${windowMs} ms`);
  assert.ok(Number(m.trigger_ns) >= Number(m.window_start_ns) && Number(m.trigger_ns) <= Number(m.window_end_ns));
  // Nothing of the trace lies before the window (but the definitions).
  const [first] = sql(lag, 'SELECT min(begin_ns) AS b FROM dispatches');
  assert.ok(first.b >= Number(m.window_start_ns), 'no dispatch begins before the window');

  const rep = reportJson(lag);
  const block = rep.findings.find((f) => f.kind === 'blocking-task');
  assert.ok(block, JSON.stringify(rep.findings.map((f) => f.kind)));
  assert.ok(block.duration_ms >= 250, `blocked ${block.duration_ms} ms`);
  assert.strictEqual(block.location.line, 14, JSON.stringify(block.location));
  assert.match(block.location.file, /flight-block\.js$/);
  const note = rep.findings.find((f) => f.kind === 'flight-window');
  assert.ok(note && note.severity === 'info', 'the report says it is a window');
  assert.match(note.message, /a 2\.\d\d s window ending 1\.\d\d s after a lag trigger/);
  assert.ok(!rep.findings.some((f) => f.kind === 'leaked-handle' && f.severity !== 'info'),
    'the interval still running when the window closed is no leak');

  // Every analysis reads a window.
  for (const args of [['replay', lag], ['replay', '--format', 'json', lag], ['report', '--format', 'html', '-o',
    path.join(dir, 'r.html'), lag], ['graph', '-o', path.join(dir, 'g.svg'), lag],
  ['graph', '--view', 'timeline', '-o', path.join(dir, 't.svg'), lag], ['export', '-o', path.join(dir, 'e.json'), lag]]) {
    const a = looptrace(args);
    assert.strictEqual(a.status, 0, `${args.join(' ')}: ${a.stderr}`);
  }
  assert.strictEqual(meta(exit).trigger, 'exit');
  assert.strictEqual(meta(exit).exit_status, '0');
});

test('a callback that began before the window is in the dump from the window\'s start', () => {
  const dir = tmpdir();
  const out = path.join(dir, 'cut.db');
  const r = looptrace(['record', '-q', '--ring', '1s', '--trigger-lag', '200ms', '-o', out, '--',
    TEST_NODE, 'flight-block.js', '1000', '4000', '1500'], { cwd: FIXTURES, env: testNodeEnv() });
  assert.strictEqual(r.status, 0, r.stderr);
  const dump = path.join(dir, 'cut-1.db');
  const m = meta(dump);
  assert.strictEqual(m.trigger, 'lag');
  const [d] = sql(dump, 'SELECT begin_ns, end_ns, queue FROM dispatches ORDER BY end_ns - begin_ns DESC LIMIT 1');
  assert.strictEqual(d.begin_ns, Number(m.window_start_ns), 'begun at the window\'s start');
  assert.strictEqual(d.queue, 'timer', 'its type known from before the window');
  const ms = (d.end_ns - d.begin_ns) / 1e6;
  assert.ok(ms >= 400 && ms < 1000, `cut to ${ms} ms of the window`);
  const block = reportJson(dump).findings.find((f) => f.kind === 'blocking-task');
  assert.ok(block, 'the report sees it');
});

test('a service\'s dump keeps its server socket from before the window: its lag is a service\'s', () => {
  // The server listens at start-up, seconds before the 1 s window: without
  // its socket the dump read as a batch run and the 300 ms block as a note.
  const dir = tmpdir();
  const out = path.join(dir, 'svc.db');
  const r = looptrace(['record', '-q', '--ring', '1s', '--trigger-lag', '200ms', '-o', out, '--',
    TEST_NODE, 'flight-server.js', '2500', '4000'], { cwd: FIXTURES, env: testNodeEnv() });
  assert.strictEqual(r.status, 0, r.stderr);
  // The lag dump that holds the block (a busy machine may stall start-up
  // past 200 ms too, which is dumped first).
  const isBlock = (f) => f.kind === 'blocking-task' && f.location && /flight-server\.js$/.test(f.location.file);
  const dumps = fs.readdirSync(dir).filter((f) => /^svc-\d+\.db$/.test(f)).map((f) => path.join(dir, f))
    .filter((db) => meta(db).trigger === 'lag' && reportJson(db).findings.some(isBlock));
  assert.ok(dumps.length >= 1, `a lag dump holds the block: ${r.stderr}`);
  const dump = dumps[0];
  const m = meta(dump);
  const servers = sql(dump, "SELECT created_ns FROM resources WHERE type = 'TCPSERVERWRAP'");
  assert.strictEqual(servers.length, 1, 'the server socket is in the dump');
  assert.ok(servers[0].created_ns < Number(m.window_start_ns), 'made before the window');
  const block = reportJson(dump).findings.find(isBlock);
  assert.strictEqual(block.location.line, 16, JSON.stringify(block.location));
  assert.strictEqual(block.severity, 'warning', 'a service\'s 300 ms block is a warning, not a batch run\'s note');
  assert.ok(!reportJson(dump).findings.some((f) => f.kind === 'leaked-handle' && f.severity !== 'info'),
    'the listening socket of a running service is no leak');
});

test('two lags a window apart give two dumps; --max-dumps 1 keeps the first only', () => {
  for (const [extra, lagDumps] of [[[], 2], [['--max-dumps', '1'], 1]]) {
    const dir = tmpdir();
    const out = path.join(dir, 'two.db');
    const r = looptrace(['record', '-q', '--ring', '1s', '--trigger-lag', '200ms', ...extra, '-o', out, '--',
      TEST_NODE, 'flight-two-blocks.js'], { cwd: FIXTURES, env: testNodeEnv() });
    assert.strictEqual(r.status, 0, r.stderr);
    const triggers = fs.readdirSync(dir).filter((f) => /^two-\d+\.db$/.test(f)).sort()
      .map((f) => meta(path.join(dir, f)).trigger);
    assert.deepStrictEqual(triggers, [...Array(lagDumps).fill('lag'), 'exit'], `${extra.join(' ')}: ${triggers}`);
  }
});

test('looptrace dump -p (the program or the recorder) and SIGUSR2 dump while the recorder runs on', async () => {
  const dir = tmpdir();
  const out = path.join(dir, 'req.db');
  const rec = startRecord(['-q', '--ring', '16M', '-o', out, '--', TEST_NODE,
    path.join(FIXTURES, 'flight-block.js'), '0', '6000']);
  const prog = await tracedPid(rec.child.pid);
  await sleep(1500);
  const d1 = looptrace(['dump', '-p', String(prog)]);
  assert.strictEqual(d1.status, 0, d1.stderr);
  assert.strictEqual(d1.stdout.trim(), path.join(dir, 'req-1.db'));
  const d2 = looptrace(['dump', '-p', String(rec.child.pid)]);
  assert.strictEqual(d2.status, 0, d2.stderr);
  assert.strictEqual(d2.stdout.trim(), path.join(dir, 'req-2.db'));
  process.kill(rec.child.pid, 'SIGUSR2');
  for (let i = 0; i < 100 && !fs.existsSync(path.join(dir, 'req-3.db')); i++) await sleep(100);
  assert.ok(fs.existsSync(path.join(dir, 'req-3.db')), 'SIGUSR2 to the recorder dumps');
  const r = await rec.done;
  assert.strictEqual(r.status, 0, `the program ran to its end, not ended by SIGUSR2: ${r.stderr}`);
  for (const n of [1, 2, 3]) {
    const m = meta(path.join(dir, `req-${n}.db`));
    assert.strictEqual(m.trigger, 'signal');
    assert.strictEqual(m.flight_dump, String(n));
  }
  assert.strictEqual(meta(path.join(dir, 'req-4.db')).trigger, 'exit');
  const [rows] = sql(path.join(dir, 'req-1.db'), 'SELECT count(*) AS n FROM dispatches');
  assert.ok(rows.n > 10, `the first dump holds the ticks so far (${rows.n})`);
  // The rendezvous file is gone with the recorder.
  assert.ok(!fs.existsSync(`/tmp/looptrace-${process.getuid()}/${rec.child.pid}`));

  const none = looptrace(['dump', '-p', String(process.pid)]);
  assert.strictEqual(none.status, 2);
  assert.match(none.stderr, /^looptrace: dump: no flight recorder \(record --ring, attach --ring\) found for pid \d+/);
  assert.strictEqual(none.stderr.trim().split('\n').length, 1);
});

test('an unhandled rejection triggers a dump that reports it at its line', () => {
  const dir = tmpdir();
  const out = path.join(dir, 'rej.db');
  const r = looptrace(['record', '--ring', '2s', '-o', out, '--', TEST_NODE, 'flight-reject.js'],
    { cwd: FIXTURES, env: testNodeEnv() });
  assert.strictEqual(r.status, 0, r.stderr);
  const dump = path.join(dir, 'rej-1.db');
  assert.strictEqual(meta(dump).trigger, 'rejection', r.stderr);
  const rep = reportJson(dump);
  const rej = rep.findings.find((f) => f.kind === 'unhandled-rejection');
  assert.ok(rej, JSON.stringify(rep.findings.map((f) => f.kind)));
  assert.strictEqual(rej.location.line, 6);
  // The program lives on: the error's stack is written at its next
  // callback, not kept until exit, so the dump a second later has it.
  const [row] = sql(dump, 'SELECT reason FROM rejections');
  assert.match(row.reason, /^Error: planted rejection\n\s+at .*flight-reject\.js:6/, row.reason);
  assert.strictEqual(meta(path.join(dir, 'rej-2.db')).trigger, 'exit');
});

test('--ring 16M keeps the recorder\'s memory bounded on a program writing far more', async () => {
  const dir = tmpdir();
  const out = path.join(dir, 'busy.db');
  const rec = startRecord(['-q', '--ring', '16M', '-o', out, '--', TEST_NODE,
    path.join(FIXTURES, 'flight-busy.js'), '6']);
  let peak = 0;
  const started = Date.now();
  const sampler = setInterval(() => { peak = Math.max(peak, rssAnonKiB(rec.child.pid)); }, 100);
  let r;
  // Sample while the program runs (the exit dump's import comes after).
  await tracedPid(rec.child.pid);
  while (Date.now() - started < 5500) await sleep(100);
  clearInterval(sampler);
  r = await rec.done;
  assert.strictEqual(r.status, 0, r.stderr);
  const dump = path.join(dir, 'busy-1.db');
  const m = meta(dump);
  const [t] = sql(dump, 'SELECT min(start_ns) AS s, max(end_ns) AS e FROM threads');
  const windowMs = (Number(m.window_end_ns) - Number(m.window_start_ns)) / 1e6;
  // The program ran about 6 s: a 16 MiB window holds much less of it.
  assert.ok(windowMs < 5000, `window ${windowMs} ms: older chunks were evicted`);
  assert.ok(t.s >= Number(m.window_start_ns), 'threads are seen from the window\'s start');
  // 16 MiB of chunks plus the recorder itself (a few MiB) and malloc slack.
  assert.ok(peak > 0 && peak < 48 * 1024, `recorder RssAnon peaked at ${peak} KiB`);
  assert.ok(Number(m.events) > 100000, `the window is full of events (${m.events})`);
});

test('attach --ring 2s --trigger-lag 200ms: dump -p of the program, then its block, without a restart', async (t) => {
  if (process.getuid() !== 0) return t.skip('attach needs root (CAP_BPF, CAP_PERFMON)');
  const dir = tmpdir();
  const out = path.join(dir, 'att.db');
  const prog = spawn(TEST_NODE, [path.join(FIXTURES, 'flight-block.js'), '3000', '9000'], { stdio: 'ignore' });
  try {
    await sleep(800);
    let stderr = '';
    const a = spawn(LOOPTRACE, ['attach', '--ring', '2s', '--trigger-lag', '200ms', '-p', String(prog.pid),
      '-d', '5', '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    a.stderr.on('data', (d) => { stderr += d; });
    const ended = new Promise((resolve) => a.on('exit', (status) => resolve(status)));
    await sleep(1500);
    const asked = looptrace(['dump', '-p', String(prog.pid)]);
    const status = await ended;
    if (status !== 0 && /eBPF|BTF|CAP_BPF|built without|not a Node/.test(stderr)) {
      return t.skip(`eBPF unavailable: ${stderr.trim().split('\n').pop()}`);
    }
    assert.strictEqual(status, 0, stderr);
    assert.strictEqual(asked.status, 0, `dump -p finds attach's recorder by the program's pid: ${asked.stderr}`);
    assert.strictEqual(asked.stdout.trim(), path.join(dir, 'att-1.db'));
    assert.strictEqual(meta(path.join(dir, 'att-1.db')).trigger, 'signal');
    const dump = path.join(dir, 'att-2.db');
    const m = meta(dump);
    assert.strictEqual(m.trigger, 'lag', stderr);
    assert.strictEqual(m.capture, 'bpf');
    const windowMs = (Number(m.window_end_ns) - Number(m.window_start_ns)) / 1e6;
    assert.ok(windowMs > 1900 && windowMs < 2100, `window of ${windowMs} ms`);
    const rep = reportJson(dump);
    const block = rep.findings.find((f) => f.kind === 'blocking-task');
    assert.ok(block && block.duration_ms >= 250, JSON.stringify(rep.findings));
    assert.strictEqual(meta(path.join(dir, 'att-3.db')).trigger, 'exit');
    assert.strictEqual(prog.exitCode, null, 'the program runs on');
  } finally {
    prog.kill();
  }
});
