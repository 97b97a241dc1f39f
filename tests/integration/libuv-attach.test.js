'use strict';
// `looptrace attach` on programs on the shared libuv (libuv1, exported
// symbols only: no uv__* internals to probe) and on the probe API's USDT
// probes: examples/c built here (-g), started with a warm-up so that the
// session attaches to a running program, attached until they exit; their
// tasks, findings and lines must be what `record` finds for them.  Then
// real Debian programs (nvim --headless running a luv timer, python3-uvloop).
// Each program waits (at most 60 s) for a SIGUSR1, sent once the session
// says its probes are in: attach start-up takes seconds on a loaded machine.  Needs root
// and kernel BTF: otherwise every test is skipped with the reason (and the
// line "eBPF tests skipped: <reason>", which ctest reports as a skip).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { SOURCE_DIR, LOOPTRACE, looptrace, run, sql, tmpdir } = require('./lib');

const { buildExample, buildSource, lineOf, report, loud } = require('./c_programs');

const build = (name, libs = []) => buildExample(name, { libs });

// Start a program; resolves with it once its first stdout line is out.
function start(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmpdir() });
    let out = '';
    let ready = false;
    child.stdout.on('data', (d) => {
      out += d;
      if (!ready && out.includes('\n')) {
        ready = true;
        resolve({ child, output: () => out });
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => { if (!ready) reject(new Error(`${cmd} exited (${code}) before it was ready`)); });
  });
}

// Attach until the target exits; resolves { status, stderr, ms } once
// the trace is written, and `attached` once the probes are in.
function attachUntilExit(pid, db) {
  let ready;
  const attached = new Promise((resolve) => { ready = resolve; });
  const started = Date.now();
  const done = new Promise((resolve, reject) => {
    const child = spawn(LOOPTRACE, ['attach', '-p', String(pid), '-o', db], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/Ctrl-C detaches/.test(stderr)) ready(Date.now() - started);
    });
    child.on('error', reject);
    child.on('close', (status) => { ready(-1); resolve({ status, stderr }); });
  });
  return { attached, done };
}

// How long the programs wait for the SIGUSR1 at most (ms).
const WAIT_MS = '60000';

// Once the probes are in (with some warm-up seen), tell the program to go on.
async function go(session, child) {
  const readyMs = await session.attached;
  assert.ok(readyMs >= 0, 'the session never said its probes were in');
  await new Promise((resolve) => setTimeout(resolve, 300));
  child.kill('SIGUSR1');
}

const exited = (child) => new Promise((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
  else child.on('exit', (code) => resolve(code));
});

// Can this machine load the probes?  Attach to a short-lived process.
let skipReason = null;
{
  const probe = spawnSync('sh', ['-c',
    `sleep 5 & pid=$!; "${LOOPTRACE}" attach -q -p $pid --duration 0.1 -o "${path.join(tmpdir(), 'probe.db')}" 2>&1; kill $pid`],
  { encoding: 'utf8', timeout: 60000 });
  const why = (probe.stdout || '').trim().split('\n').pop() || '';
  if (/attach needs|built without its eBPF probes|refused/.test(why)) {
    skipReason = why;
    console.log(`eBPF tests skipped: ${skipReason}`);
  }
}
const bpfTest = (name, opts, fn) => test(name, { skip: skipReason ? `eBPF unavailable: ${skipReason}` : opts.skip || false, timeout: 120000 }, fn);

bpfTest('uv_defects attached: the blocking timer callback and the leaked timer, at their lines', {}, async () => {
  const prog = build('uv_defects', ['-luv']);
  // a warm-up of the loop (a ticking timer) until SIGUSR1, then the defects
  const { child, output } = await start(prog, [WAIT_MS]);
  const db = path.join(tmpdir(), 'uv_defects.db');
  const session = attachUntilExit(child.pid, db);
  await go(session, child);
  const [code, r] = await Promise.all([exited(child), session.done]);
  assert.strictEqual(code, 0);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(output(), /ticks 5/);
  assert.match(r.stderr, /libuv API probes/);
  const meta = Object.fromEntries(sql(db, 'SELECT key, value FROM meta').map((m) => [m.key, m.value]));
  assert.strictEqual(meta.capture, 'bpf');
  assert.strictEqual(meta.attach_probes, 'libuv-api');
  assert.strictEqual(meta.targets_exited, '1');

  const { findings } = report(db);
  assert.deepStrictEqual(loud(findings).map((f) => f.kind).sort(), ['blocking-task', 'leaked-handle'],
    JSON.stringify(findings, null, 1));
  const blocking = findings.find((f) => f.kind === 'blocking-task');
  assert.ok(blocking.location.file.endsWith('examples/c/uv_defects.c'), blocking.location.file);
  assert.strictEqual(blocking.location.line, lineOf('uv_defects.c', 'uv_timer_start(&blocker'));
  assert.strictEqual(blocking.location.function, 'main');
  assert.ok(blocking.duration_ms >= 110, `blocked ${blocking.duration_ms} ms`);
  assert.match(blocking.message, /on_block/);
  const leak = findings.find((f) => f.kind === 'leaked-handle');
  assert.ok(leak.location.file.endsWith('examples/c/uv_defects.c'), leak.location.file);
  assert.strictEqual(leak.location.line, lineOf('uv_defects.c', 'the planted leak'));
  assert.match(leak.fix, /uv_close/);

  // every callback the program registered after the attach, with its runs.
  // A callback is probed once its registration is seen (~1-10 ms on a quiet
  // machine, tens of ms at load 30): runs before that are missed (idle and
  // check run at once, fs and work as soon as the pool is done).  The timers
  // due 30 ms and more after their start are seen every time.
  const runs = sql(db, 'SELECT r.type, r.callback, count(d.resource_id) AS n FROM resources r'
    + " LEFT JOIN dispatches d ON d.resource_id = r.id WHERE r.callback IS NOT NULL AND r.callback <> 'on_warmup'"
    + ' GROUP BY r.id ORDER BY r.created_ns');
  const probed = sql(db, "SELECT value FROM meta WHERE key = 'uv_callbacks'")[0].value;
  assert.match(probed, /^10 callbacks probed \(0 not\), registration to probe: mean [\d.]+ ms, max [\d.]+ ms$/);
  const expected = [
    { type: 'Timeout', callback: 'on_tick', n: 5 },
    { type: 'Timeout', callback: 'on_block', n: 1 },
    { type: 'Timeout', callback: 'on_leaked', n: 0 },
    { type: 'uv_idle', callback: 'on_idle', n: 3 },
    { type: 'uv_check', callback: 'on_check', n: 3 },
    { type: 'uv_work', callback: 'after_work', n: 1 },
    { type: 'FSREQCALLBACK', callback: 'on_file_open', n: 1 },
    { type: 'Timeout', callback: 'on_stop', n: 1 },
    { type: 'FSREQCALLBACK', callback: 'on_file_closed', n: 1 },
  ];
  assert.deepStrictEqual(runs.map((x) => [x.type, x.callback]), expected.map((x) => [x.type, x.callback]));
  for (let i = 0; i < runs.length; i++) {
    const exact = ['on_block', 'on_leaked', 'on_stop'].includes(runs[i].callback);
    assert.ok(exact ? runs[i].n === expected[i].n : runs[i].n <= expected[i].n,
      `${JSON.stringify(runs[i])} (${probed})`);
  }
  // the warm-up timer was started before the session: learnt when libuv ran it
  const warm = sql(db, "SELECT count(*) AS n FROM dispatches d JOIN resources r ON r.id = d.resource_id WHERE r.callback = 'on_warmup'")[0].n;
  assert.ok(warm >= 10, `warm-up ticks seen: ${warm}`); // 10 ms ticks, 300 ms at least
  // the loop's waits (libc's epoll_wait on the loop thread)
  const its = sql(db, 'SELECT count(*) AS n FROM iterations WHERE poll_begin_ns IS NOT NULL')[0].n;
  assert.ok(its >= 10, `iterations with a wait: ${its}`);
  // replay and graph read it as any trace
  assert.strictEqual(looptrace(['replay', '--format', 'json', db]).status, 0);
  assert.strictEqual(looptrace(['graph', '-o', path.join(tmpdir(), 'g.dot'), db]).status, 0);
});

bpfTest('epoll_probes attached: the probe API\'s USDT probes, slow task and leaked handle at their lines', {}, async () => {
  const prog = build('epoll_probes');
  const { child, output } = await start(prog, [WAIT_MS]);
  const db = path.join(tmpdir(), 'epoll_probes.db');
  const session = attachUntilExit(child.pid, db);
  await go(session, child);
  const [code, r] = await Promise.all([exited(child), session.done]);
  assert.strictEqual(code, 0);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(output(), /ticks 10/);
  assert.match(r.stderr, /6 USDT probes/);

  const { findings } = report(db);
  assert.deepStrictEqual(loud(findings).map((f) => f.kind).sort(), ['blocking-task', 'leaked-handle'],
    JSON.stringify(findings, null, 1));
  const blocking = findings.find((f) => f.kind === 'blocking-task');
  assert.ok(blocking.location.file.endsWith('examples/c/epoll_probes.c'), blocking.location.file);
  assert.strictEqual(blocking.location.line, lineOf('epoll_probes.c', 'LOOPTRACE_TASK_ENQUEUE(t, "slow-task")'));
  assert.ok(blocking.duration_ms >= 95, `blocked ${blocking.duration_ms} ms`);
  const leak = findings.find((f) => f.kind === 'leaked-handle');
  assert.strictEqual(leak.location.line, lineOf('epoll_probes.c', 'the planted leak'));
  assert.match(leak.message, /usdt:eventfd/);
  // the same resources and dispatches as `record` makes (libuv.test.js)
  const rows = sql(db, 'SELECT type, count(*) AS n, sum(destroyed_ns IS NULL) AS open FROM resources GROUP BY type ORDER BY type');
  assert.deepStrictEqual(rows, [
    { type: 'usdt:eventfd', n: 1, open: 1 },
    { type: 'usdt:mark loop-start', n: 1, open: 0 },
    { type: 'usdt:slow-task', n: 1, open: 0 },
    { type: 'usdt:task', n: 9, open: 0 },
    { type: 'usdt:timerfd', n: 1, open: 0 },
  ]);
  const d = sql(db, "SELECT type, count(*) AS n FROM dispatches WHERE type LIKE 'usdt:%' GROUP BY type ORDER BY type");
  assert.deepStrictEqual(d, [
    { type: 'usdt:slow-task', n: 1 }, { type: 'usdt:task', n: 9 }, { type: 'usdt:timerfd', n: 10 },
  ]);
});

bpfTest('nvim --headless attached: a luv timer started after the attach, every run seen', { skip: !fs.existsSync('/usr/bin/nvim') && 'neovim not installed' }, async () => {
  const script = path.join(tmpdir(), 'attach-timer.lua');
  fs.writeFileSync(script, [
    'io.stdout:write("started\\n"); io.stdout:flush()',
    'local n = 0',
    'local t = vim.loop.new_timer()',
    '-- the timer starts at SIGUSR1, once the session is attached',
    '-- ticking while it waits: luv\'s one C timer callback is probed by then',
    'local waiting = vim.loop.new_timer()',
    'waiting:start(30, 30, function() end)',
    'local sig = vim.loop.new_signal()',
    'sig:start("sigusr1", function()',
    '  sig:close(); waiting:stop(); waiting:close()',
    '  t:start(20, 20, function()',
    '    n = n + 1',
    '    if n == 20 then',
    '      t:stop(); t:close()',
    '      vim.schedule(function() io.stdout:write("ticks " .. n .. "\\n"); vim.cmd("qa!") end)',
    '    end',
    '  end)',
    'end)', ''].join('\n'));
  const { child, output } = await start('/usr/bin/nvim', ['--headless', '--clean', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${script}`]);
  const db = path.join(tmpdir(), 'nvim.db');
  const session = attachUntilExit(child.pid, db);
  await go(session, child);
  const [, r] = await Promise.all([exited(child), session.done]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(output(), /ticks 20/);
  // one uv_timer_start from luv (20 ms, repeating): its 20 runs
  const timers = sql(db, 'SELECT r.timer_delay_ms AS delay, r.timer_repeat AS rep, count(d.resource_id) AS n'
    + " FROM resources r LEFT JOIN dispatches d ON d.resource_id = r.id AND d.queue = 'timer'"
    + " WHERE r.type = 'Timeout' AND r.timer_delay_ms = 20 GROUP BY r.id");
  assert.deepStrictEqual(timers, [{ delay: 20, rep: 1, n: 20 }]);
  // created in luv (liblua5.1-luv.so), not in libuv
  const site = sql(db, 'SELECT s.file FROM resources r JOIN stacks s ON s.stack_id = r.stack_id'
    + ' WHERE r.timer_delay_ms = 20 LIMIT 1');
  assert.strictEqual(site.length, 1);
  assert.match(site[0].file, /luv/);
  const its = sql(db, 'SELECT count(*) AS n FROM iterations WHERE poll_begin_ns IS NOT NULL')[0].n;
  assert.ok(its >= 20, `iterations with a wait: ${its}`);
  assert.deepStrictEqual(loud(report(db).findings), []);
});

const UVLOOP = '/usr/lib/python3/dist-packages/uvloop';
bpfTest('python3-uvloop attached: asyncio timers and a blocking call_later callback', { skip: !fs.existsSync(UVLOOP) && 'python3-uvloop not installed' }, async () => {
  const script = path.join(tmpdir(), 'uvloop_attach.py');
  fs.writeFileSync(script, [
    'import asyncio, signal, time, uvloop',
    'async def tick(n):',
    '    for i in range(n):',
    '        await asyncio.sleep(0.01)',
    'def block():',
    '    time.sleep(0.1)',
    'async def main():',
    '    loop = asyncio.get_running_loop()',
    '    attached = asyncio.Event()',
    '    loop.add_signal_handler(signal.SIGUSR1, attached.set)',
    '    print("started", flush=True)',
    '    for i in range(1200):  # ticking while it waits: the timer callback is probed by then',
    '        if attached.is_set(): break',
    '        await asyncio.sleep(0.05)',
    '    await asyncio.gather(tick(5), tick(5))',
    '    loop.call_later(0.02, block)',
    '    await asyncio.sleep(0.2)',
    '    print("done", flush=True)',
    'uvloop.install()',
    'asyncio.run(main())', ''].join('\n'));
  const { child, output } = await start('/usr/bin/python3', [script]);
  const db = path.join(tmpdir(), 'uvloop.db');
  const session = attachUntilExit(child.pid, db);
  await go(session, child);
  const [code, r] = await Promise.all([exited(child), session.done]);
  assert.strictEqual(code, 0);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(output(), /done/);
  // as under record (libuv.test.js): 10 sleeps of 10 ms, the call_later
  // (20 ms), the final sleep (200 ms), one uv timer each; the waiting's
  // 50 ms sleeps are left out
  const timers = sql(db, "SELECT r.timer_delay_ms AS ms, count(*) AS n FROM dispatches d JOIN resources r ON r.id = d.resource_id"
    + " WHERE d.queue = 'timer' AND r.timer_delay_ms IN (10, 20, 200) GROUP BY 1 ORDER BY 1");
  assert.deepStrictEqual(timers, [{ ms: 10, n: 10 }, { ms: 20, n: 1 }, { ms: 200, n: 1 }]);
  assert.strictEqual(sql(db, "SELECT count(*) AS n FROM dispatches WHERE queue = 'exit' AND type = 'beforeExit'")[0].n, 1,
    'asyncio.run\'s uv_run(UV_RUN_DEFAULT) ran dry');
  const l = loud(report(db).findings);
  assert.deepStrictEqual(l.map((f) => f.kind), ['blocking-task'], JSON.stringify(l, null, 1));
  assert.ok(l[0].duration_ms >= 95, `blocked ${l[0].duration_ms} ms`);
});

// A poll() loop built with -O1 whose type literals sit on pages the program
// never reads (BPF cannot fault them in: the session reads them from the
// process), attached: its poll waits are its iterations, as under record.
bpfTest('a poll() loop of its own attached: iterations from poll, type literals read', {}, async () => {
  const source = [
    '#include <looptrace.h>',
    '#include <poll.h>',
    '#include <signal.h>',
    '#include <stdio.h>',
    '#include <time.h>',
    '#include <unistd.h>',
    'static volatile sig_atomic_t go;',
    'static void on_usr1(int s) { (void)s; go = 1; }',
    'static void spin(int ms) {',
    '  struct timespec a, b;',
    '  clock_gettime(CLOCK_MONOTONIC, &a);',
    '  do clock_gettime(CLOCK_MONOTONIC, &b);',
    '  while ((b.tv_sec - a.tv_sec) * 1000L + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);',
    '}',
    'static int jobs[30], conn;',
    '/* 1 MiB from any other data: a page the program itself never faults in */',
    'static const char job_type[] __attribute__((aligned(1 << 20))) = "poll-job";',
    'static const char conn_type[] = "never-closed";',
    'int main(void) {',
    '  signal(SIGUSR1, on_usr1);',
    '  printf("ready\\n"); fflush(stdout);',
    '  for (int i = 0; i < 6000 && !go; i++) usleep(10000);',
    '  LOOPTRACE_HANDLE_OPEN(&conn, conn_type); /* the planted leak */',
    '  for (int r = 0; r < 30; r++) {',
    '    LOOPTRACE_TASK_ENQUEUE(&jobs[r], job_type);',
    '    poll(NULL, 0, 5);',
    '    LOOPTRACE_BEGIN(&jobs[r]);',
    '    spin(r == 15 ? 150 : 1);',
    '    LOOPTRACE_END(&jobs[r]);',
    '  }',
    '  return 0;',
    '}', ''].join('\n');
  const { out: prog } = buildSource('poll_loop_attach', source);
  const { child } = await start(prog, []);
  const db = path.join(tmpdir(), 'poll_loop_attach.db');
  const session = attachUntilExit(child.pid, db);
  await go(session, child);
  const [code, r] = await Promise.all([exited(child), session.done]);
  assert.strictEqual(code, 0);
  assert.strictEqual(r.status, 0, r.stderr);
  const types = sql(db, "SELECT type, count(*) AS n FROM resources WHERE type LIKE 'usdt:%' GROUP BY type ORDER BY type");
  assert.deepStrictEqual(types, [{ type: 'usdt:never-closed', n: 1 }, { type: 'usdt:poll-job', n: 30 }]);
  const iterations = sql(db, 'SELECT count(*) AS n FROM iterations')[0].n;
  assert.ok(iterations >= 29, `${iterations} iterations for 30 polls`);
  const { findings } = report(db);
  const blocking = findings.find((f) => f.kind === 'blocking-task');
  assert.ok(blocking && blocking.duration_ms >= 140, JSON.stringify(findings, null, 1));
  const leak = findings.find((f) => f.kind === 'leaked-handle');
  assert.ok(leak, JSON.stringify(findings, null, 1));
  assert.strictEqual(leak.location.line, source.split('\n').findIndex((l) => l.includes('the planted leak')) + 1);
});
