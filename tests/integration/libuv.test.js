'use strict';
// Programs on the shared libuv (libuv1), traced by the preload library's
// uv_* interposers: the C programs of examples/c are built here (-g) and
// recorded for real; their tasks, findings and lines are what they did.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { SOURCE_DIR, run, record, looptrace, replayJson, sql, tmpdir } = require('./lib');

const { EXAMPLES, buildExample, buildSource, lineOf, report, loud } = require('./c_programs');

const build = (name, flags) => buildExample(name, flags ? { flags } : {});

test('uv_defects: the blocking timer callback and the leaked timer, at their lines', () => {
  const prog = build('uv_defects');
  const r = record([prog]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stdout, /ticks 5/);
  const { findings } = report(r.db);
  const kinds = loud(findings).map((f) => f.kind).sort();
  assert.deepStrictEqual(kinds, ['blocking-task', 'leaked-handle'], JSON.stringify(findings, null, 1));

  const blocking = findings.find((f) => f.kind === 'blocking-task');
  assert.ok(blocking.location.file.endsWith('examples/c/uv_defects.c'), blocking.location.file);
  // sampled (native_sampler.c): the line where the callback spent its CPU.
  // busy_wait_ms's loop is a clock_gettime call and a comparison; how its
  // ~6 samples split between the two depends on the machine's clock: most
  // inside clock_gettime places the finding at that call, most in the loop's
  // own code places it where on_block calls busy_wait_ms (the rule for a
  // CPU-heavy helper).  Both are the planted defect, at the program's line.
  assert.ok(blocking.samples > 0, JSON.stringify(blocking));
  if (blocking.location.function === 'busy_wait_ms') {
    assert.strictEqual(blocking.location.line, lineOf('uv_defects.c', 'clock_gettime(CLOCK_MONOTONIC, &now)'));
    assert.strictEqual(blocking.blocking_function, 'clock_gettime');
  } else {
    assert.strictEqual(blocking.location.function, 'on_block', JSON.stringify(blocking));
    assert.strictEqual(blocking.location.line, lineOf('uv_defects.c', 'the planted blocking task'));
    assert.strictEqual(blocking.blocking_function, 'busy_wait_ms');
    assert.match(blocking.message, /in busy_wait_ms, called from .*uv_defects\.c:\d+/);
  }
  assert.ok(blocking.duration_ms >= 110, `blocked ${blocking.duration_ms} ms`);
  assert.match(blocking.message, /on_block/);
  assert.match(blocking.fix, /uv_queue_work/);

  const leak = findings.find((f) => f.kind === 'leaked-handle');
  assert.ok(leak.location.file.endsWith('examples/c/uv_defects.c'), leak.location.file);
  assert.strictEqual(leak.location.line, lineOf('uv_defects.c', 'the planted leak'));
  assert.match(leak.fix, /uv_close/);

  // every task the program scheduled, once per run of its callback
  const byType = {};
  for (const d of replayJson(r.db).dispatches) byType[`${d.queue}/${d.type}`] = (byType[`${d.queue}/${d.type}`] || 0) + 1;
  // 5 ticks, the blocker, the stopper (again 50 ms later while the work is not done: a loaded machine)
  const timerRuns = sql(r.db, "SELECT r.callback, count(*) AS n FROM dispatches d JOIN resources r ON r.id = d.resource_id WHERE d.queue = 'timer' GROUP BY 1 ORDER BY 1");
  const stops = timerRuns.find((x) => x.callback === 'on_stop');
  assert.ok(stops && stops.n >= 1, JSON.stringify(timerRuns));
  assert.deepStrictEqual(timerRuns.filter((x) => x.callback !== 'on_stop'), [{ callback: 'on_block', n: 1 }, { callback: 'on_tick', n: 5 }]);
  assert.strictEqual(byType['timer/Timeout'], 6 + stops.n, JSON.stringify(byType));
  assert.strictEqual(byType['io/uv_idle'], 3);
  assert.strictEqual(byType['io/uv_check'], 3);
  assert.strictEqual(byType['io/uv_work'], 1);
  assert.strictEqual(byType['io/FSREQCALLBACK'], 2); // uv_fs_open, then uv_fs_close from its callback
  const fsReqs = sql(r.db, "SELECT callback, destroyed_ns IS NOT NULL AS done FROM resources WHERE type = 'FSREQCALLBACK' ORDER BY created_ns");
  assert.deepStrictEqual(fsReqs, [{ callback: 'on_file_open', done: 1 }, { callback: 'on_file_closed', done: 1 }]);
  assert.strictEqual(byType['io/uv_async'], undefined, 'libuv\'s own threadpool async is not the program\'s');
  // the callbacks are named from the program's symbols
  const callbacks = sql(r.db, "SELECT DISTINCT callback FROM resources WHERE type = 'Timeout' ORDER BY callback").map((x) => x.callback);
  assert.deepStrictEqual(callbacks, ['on_block', 'on_leaked', 'on_stop', 'on_tick']);
});

test('uv_echo: 20 TCP clients x 10 echoes, every handle and request closed', () => {
  const prog = build('uv_echo');
  const r = record([prog]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stdout, /echoed 200/);
  const { findings } = report(r.db);
  assert.deepStrictEqual(loud(findings), []);
  const rows = sql(r.db, 'SELECT type, count(*) AS n, sum(destroyed_ns IS NULL) AS open FROM resources GROUP BY type ORDER BY type');
  assert.deepStrictEqual(rows, [
    { type: 'TCPCONNECTWRAP', n: 20, open: 0 },
    { type: 'TCPSERVERWRAP', n: 1, open: 0 },
    { type: 'TCPWRAP', n: 41, open: 0 }, // 20 clients, 20 accepted peers, the server before uv_listen
    { type: 'WRITEWRAP', n: 400, open: 0 },
  ]);
  const d = sql(r.db, 'SELECT queue, type, count(*) AS n FROM dispatches GROUP BY 1, 2 ORDER BY 1, 2');
  const n = (q, t) => (d.find((x) => x.queue === q && x.type === t) || { n: 0 }).n;
  assert.strictEqual(n('io', 'TCPSERVERWRAP'), 20); // one accept per client
  assert.strictEqual(n('io', 'TCPCONNECTWRAP'), 20);
  assert.strictEqual(n('io', 'WRITEWRAP'), 400);
  assert.strictEqual(n('io', 'TCPWRAP'), 420); // 200 echoes read by each side, 20 EOFs
  assert.strictEqual(n('close', 'TCPWRAP'), 20);
  assert.strictEqual(n('exit', 'beforeExit'), 1, 'uv_run returned: the loop ran dry');
});

test('epoll_probes: the probe API (probes/looptrace.h) in a hand-written epoll loop', () => {
  const out = path.join(tmpdir(), 'epoll_probes');
  const cc = run('cc', ['-g', '-O0', '-I', path.join(SOURCE_DIR, 'probes'), '-o', out, path.join(EXAMPLES, 'epoll_probes.c')]);
  assert.strictEqual(cc.status, 0, `cc epoll_probes.c (systemtap-sdt-dev): ${cc.stderr}`);
  // the macros are USDT probes too
  const notes = run('readelf', ['-n', out]);
  for (const probe of ['task_enqueue', 'handle_open', 'handle_close', 'begin', 'end', 'mark'])
    assert.match(notes.stdout, new RegExp(`Name: ${probe}\\b`), probe);
  const r = record([out]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stdout, /ticks 10/);
  const { findings } = report(r.db);
  assert.deepStrictEqual(loud(findings).map((f) => f.kind).sort(), ['blocking-task', 'leaked-handle'],
    JSON.stringify(findings, null, 1));
  const blocking = findings.find((f) => f.kind === 'blocking-task');
  assert.ok(blocking.location.file.endsWith('examples/c/epoll_probes.c'), blocking.location.file);
  assert.ok(blocking.samples > 0, JSON.stringify(blocking));
  assert.strictEqual(blocking.location.line, lineOf('epoll_probes.c', 'clock_gettime(CLOCK_MONOTONIC, &now)'));
  assert.strictEqual(blocking.location.function, 'busy_wait_ms');
  assert.ok(blocking.duration_ms >= 95, `blocked ${blocking.duration_ms} ms`);
  const leak = findings.find((f) => f.kind === 'leaked-handle');
  assert.strictEqual(leak.location.line, lineOf('epoll_probes.c', 'the planted leak'));
  assert.match(leak.message, /usdt:eventfd/);
  const rows = sql(r.db, 'SELECT type, count(*) AS n, sum(destroyed_ns IS NULL) AS open FROM resources GROUP BY type ORDER BY type');
  assert.deepStrictEqual(rows, [
    { type: 'usdt:eventfd', n: 1, open: 1 },
    { type: 'usdt:mark loop-start', n: 1, open: 0 },
    { type: 'usdt:slow-task', n: 1, open: 0 },
    { type: 'usdt:task', n: 9, open: 0 },
    { type: 'usdt:timerfd', n: 1, open: 0 },
  ]);
  // 10 timerfd callbacks, 10 tasks, each one dispatch
  const d = sql(r.db, "SELECT type, count(*) AS n FROM dispatches WHERE type LIKE 'usdt:%' GROUP BY type ORDER BY type");
  assert.deepStrictEqual(d, [
    { type: 'usdt:slow-task', n: 1 }, { type: 'usdt:task', n: 9 }, { type: 'usdt:timerfd', n: 10 },
  ]);
});

test('uv_thread_loop: handles set up on main, run by a loop on another thread', () => {
  const out = path.join(tmpdir(), 'uv_thread_loop');
  const cc = run('cc', ['-g', '-O0', '-o', out, path.join(EXAMPLES, 'uv_thread_loop.c'), '-luv', '-lpthread']);
  assert.strictEqual(cc.status, 0, cc.stderr);
  const r = record([out]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stdout, /ticks 3/);
  const timers = sql(r.db, "SELECT d.tid <> d.pid AS on_thread, r.callback, count(*) AS n FROM dispatches d JOIN resources r ON r.id = d.resource_id WHERE d.queue = 'timer' GROUP BY 1, 2");
  assert.deepStrictEqual(timers, [{ on_thread: 1, callback: 'tick', n: 3 }]);
  assert.deepStrictEqual(loud(report(r.db).findings), []);
});

test('uv_pool: fs calls, DNS, random bytes, a child, a watch, queue_work times, timer again, stdio output', () => {
  const prog = build('uv_pool');
  const r = record([prog]);
  assert.strictEqual(r.status, 0, r.stderr);
  const lines = ['resolved localhost: yes', 'random 16 bytes: ok', 'child exited 0', 'timer runs 4',
    'work items 3', 'fs calls 24', 'stat watcher: no such file', 'named 127.0.0.1: yes', 'done'];
  assert.deepStrictEqual(r.stdout.trim().split('\n').sort(), [...lines].sort());

  const resources = sql(r.db, 'SELECT type, count(*) AS n, sum(destroyed_ns IS NULL AND cleared_ns IS NULL) AS open FROM resources GROUP BY type ORDER BY type');
  assert.deepStrictEqual(resources, [
    { type: 'FSEVENTWRAP', n: 1, open: 0 },
    { type: 'FSREQCALLBACK', n: 25, open: 0 }, // uv_fs_mkdtemp, then the chain of 24
    { type: 'GETADDRINFOREQWRAP', n: 1, open: 0 },
    { type: 'GETNAMEINFOREQWRAP', n: 1, open: 0 },
    { type: 'PROCESSWRAP', n: 1, open: 0 },
    { type: 'RANDOMBYTESREQUEST', n: 1, open: 0 },
    { type: 'STATWATCHER', n: 1, open: 0 }, // its timer and uv_fs_stat are libuv's own
    { type: 'Timeout', n: 2, open: 1 }, // the one-shot run (done, not cleared), the repeating one stopped
    { type: 'uv_work', n: 3, open: 0 },
  ]);
  // uv_timer_set_repeat + uv_timer_again on the fired one-shot timer: a repeating task from there
  assert.deepStrictEqual(sql(r.db, "SELECT timer_delay_ms AS delay, timer_repeat AS repeat, (SELECT count(*) FROM dispatches d WHERE d.resource_id = r.id) AS runs FROM resources r WHERE type = 'Timeout' ORDER BY id"),
    [{ delay: 10, repeat: 0, runs: 1 }, { delay: 5, repeat: 1, runs: 3 }]);
  const callbacks = sql(r.db, "SELECT callback, count(*) AS n FROM resources WHERE type = 'FSREQCALLBACK' GROUP BY callback ORDER BY callback");
  assert.deepStrictEqual(callbacks, [{ callback: 'fs_step', n: 24 }, { callback: 'on_made_dir', n: 1 }]);
  const d = sql(r.db, "SELECT queue, type, count(*) AS n FROM dispatches WHERE queue IN ('io', 'timer') GROUP BY 1, 2 ORDER BY 1, 2");
  assert.deepStrictEqual(d, [
    { queue: 'io', type: 'FSEVENTWRAP', n: 1 },
    { queue: 'io', type: 'FSREQCALLBACK', n: 25 },
    { queue: 'io', type: 'GETADDRINFOREQWRAP', n: 1 },
    { queue: 'io', type: 'GETNAMEINFOREQWRAP', n: 1 },
    { queue: 'io', type: 'PROCESSWRAP', n: 1 },
    { queue: 'io', type: 'RANDOMBYTESREQUEST', n: 1 },
    { queue: 'io', type: 'STATWATCHER', n: 1 },
    { queue: 'io', type: 'uv_work', n: 3 },
    { queue: 'timer', type: 'Timeout', n: 4 },
  ]);
  // the child's exec, seen by the exec interposer in the forked child
  assert.deepStrictEqual(sql(r.db, "SELECT detail FROM lineage WHERE kind = 'exec'").map((x) => x.detail), ['/bin/true']);

  // printf/fprintf output, each line in the dispatch that printed it
  const out = sql(r.db, 'SELECT o.fd, o.text, d.type FROM output o LEFT JOIN dispatches d ON d.seq = o.dispatch_seq ORDER BY o.ts_ns');
  const where = Object.fromEntries(out.map((o) => [o.text.trim(), `${o.fd} ${o.type}`]));
  assert.deepStrictEqual(where, {
    'resolved localhost: yes': '1 GETADDRINFOREQWRAP',
    'named 127.0.0.1: yes': '1 GETNAMEINFOREQWRAP',
    'random 16 bytes: ok': '1 RANDOMBYTESREQUEST',
    'child exited 0': '1 PROCESSWRAP',
    'timer runs 4': '1 Timeout',
    'work items 3': '1 uv_work',
    'fs calls 24': '1 FSREQCALLBACK',
    'stat watcher: no such file': '1 STATWATCHER',
    'watch saw a change': '2 FSEVENTWRAP',
    done: where.done, // after uv_run: no dispatch of the program's
  });
  assert.strictEqual(out.length, 10);

  // threadpool: 31 requests; the three uv_queue_work items of 20 ms on one pool
  // thread waited 0, >= 20 and >= 40 ms (lower bounds, not timings), less
  // the time between their submissions (an item is submitted a little after
  // the one before it: 19.968 ms was seen), counted as up to 1 ms
  const meta = Object.fromEntries(sql(r.db, "SELECT key, value FROM meta WHERE key LIKE 'threadpool%'").map((x) => [x.key, x.value]));
  assert.strictEqual(meta.threadpool_items, '31');
  assert.strictEqual(meta.threadpool_items_by_kind, 'fs 25, work 3, dns 2, random 1');
  assert.strictEqual(meta.threadpool_timed_items, '3');
  const pct = (v) => v.match(/p50 ([\d.]+) p99 ([\d.]+) max ([\d.]+)/).slice(1).map(Number);
  const [runP50] = pct(meta.threadpool_run_ms);
  const [waitP50, , waitMax] = pct(meta.threadpool_queue_wait_ms);
  assert.ok(runP50 >= 20, meta.threadpool_run_ms);
  assert.ok(waitP50 >= 19 && waitMax >= 39, meta.threadpool_queue_wait_ms);
  const rep = report(r.db);
  assert.deepStrictEqual(loud(rep.findings), [], JSON.stringify(rep.findings, null, 1));
  const tp = rep.metrics.threadpool;
  assert.deepStrictEqual([tp.items, tp.timed_items, tp.by_kind], [31, 3, 'fs 25, work 3, dns 2, random 1']);
  assert.ok(tp.run.p50_ms >= 20 && tp.queue_wait.max_ms >= 39 && tp.done.max_ms >= 40, JSON.stringify(tp));
  const text = looptrace(['report', r.db]);
  assert.match(text.stdout, /threadpool: 31 items \(fs 25, work 3, dns 2, random 1\), submitted to done callback p50/);
  assert.match(text.stdout, /threadpool uv_queue_work: 3 items, queue wait p50 [\d.]+ \/ p99 [\d.]+ \/ max [\d.]+ ms, run p50/);
});

test('uv_pool built with -O2 -D_FORTIFY_SOURCE=2: __printf_chk, __fprintf_chk, fwrite and puts output recorded too', () => {
  const prog = build('uv_pool', ['-O2', '-D_FORTIFY_SOURCE=2']);
  const syms = run('nm', ['-D', prog]).stdout;
  for (const s of ['__printf_chk', '__fprintf_chk', 'puts']) assert.match(syms, new RegExp(`\\b${s}\\b`), s);
  const r = record([prog]);
  assert.strictEqual(r.status, 0, r.stderr);
  const out = sql(r.db, 'SELECT fd, text FROM output ORDER BY ts_ns').map((o) => `${o.fd} ${o.text}`).sort();
  assert.deepStrictEqual(out, ['1 child exited 0\n', '1 done\n', '1 fs calls 24\n', '1 named 127.0.0.1: yes\n', '1 random 16 bytes: ok\n',
    '1 resolved localhost: yes\n', '1 stat watcher: no such file\n', '1 timer runs 4\n', '1 work items 3\n',
    '2 watch saw a change\n']);
});

test('uv_thread_loop: the handle that moved to the loop\'s thread leaves nothing open on main', () => {
  const out = path.join(tmpdir(), 'uv_thread_loop_moved');
  const cc = run('cc', ['-g', '-O0', '-o', out, path.join(EXAMPLES, 'uv_thread_loop.c'), '-luv', '-lpthread']);
  assert.strictEqual(cc.status, 0, cc.stderr);
  const r = record([out]);
  assert.strictEqual(r.status, 0, r.stderr);
  const rows = sql(r.db, "SELECT tid <> pid AS on_thread, destroyed_ns IS NULL AND cleared_ns IS NULL AS open FROM resources WHERE type = 'Timeout' ORDER BY on_thread");
  assert.deepStrictEqual(rows, [{ on_thread: 0, open: 0 }, { on_thread: 1, open: 0 }]);
  // printf after the join, recorded on main
  assert.deepStrictEqual(sql(r.db, 'SELECT fd, text, tid = pid AS main FROM output'), [{ fd: 1, text: 'ticks 3\n', main: 1 }]);
});

// Real programs from Debian packages on the shared libuv (scripts/setup.sh
// installs them); skipped, with the reason, where they are missing.
const hasFile = (f) => fs.existsSync(f);
const UVLOOP = '/usr/lib/python3/dist-packages/uvloop';

test('python3-uvloop: asyncio timers and a blocking call_later callback', { skip: !hasFile(UVLOOP) && 'python3-uvloop not installed' }, () => {
  const script = path.join(tmpdir(), 'uvloop_timers.py');
  fs.writeFileSync(script, [
    'import asyncio, time, uvloop',
    'async def tick(n):',
    '    for i in range(n):',
    '        await asyncio.sleep(0.01)',
    'def block():',
    '    time.sleep(0.1)',
    'async def main():',
    '    loop = asyncio.get_running_loop()',
    '    await asyncio.gather(tick(5), tick(5))',
    '    loop.call_later(0.02, block)',
    '    await asyncio.sleep(0.2)',
    '    print("done")',
    'uvloop.install()',
    'asyncio.run(main())', ''].join('\n'));
  const r = record(['/usr/bin/python3', script]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stdout, /done/);
  // 10 sleeps of 10 ms, the call_later, the final sleep: one uv timer each
  const timers = sql(r.db, "SELECT count(*) AS n FROM dispatches WHERE queue = 'timer' AND type = 'Timeout'")[0].n;
  assert.strictEqual(timers, 12);
  const { findings } = report(r.db);
  const l = loud(findings);
  assert.deepStrictEqual(l.map((f) => f.kind), ['blocking-task'], JSON.stringify(findings, null, 1));
  assert.ok(l[0].duration_ms >= 95, `blocked ${l[0].duration_ms} ms`);
  assert.match(l[0].message, /sleep/);
});

test('neovim: a luv timer script in nvim --headless', { skip: !hasFile('/usr/bin/nvim') && 'neovim not installed' }, () => {
  const script = path.join(tmpdir(), 'timer.lua');
  fs.writeFileSync(script, [
    'local n = 0',
    'local t = vim.loop.new_timer()',
    't:start(10, 10, function()',
    '  n = n + 1',
    '  if n == 5 then',
    '    t:stop(); t:close()',
    '    vim.schedule(function() io.stdout:write("ticks " .. n .. "\\n"); vim.cmd("qa!") end)',
    '  end',
    'end)', ''].join('\n'));
  const r = record(['/usr/bin/nvim', '--headless', '--clean', '-u', 'NONE', '-c', `luafile ${script}`]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stdout, /ticks 5/);
  // the repeating timer ran 5 times, from one resource (one uv_timer_start)
  const runs = sql(r.db, "SELECT resource_id, count(*) AS n FROM dispatches WHERE queue = 'timer' GROUP BY resource_id");
  assert.deepStrictEqual(runs.map((x) => x.n), [5]);
  const { findings } = report(r.db);
  assert.deepStrictEqual(loud(findings), []);
  const iterations = sql(r.db, 'SELECT count(*) AS n FROM iterations')[0].n;
  assert.ok(iterations >= 5, `${iterations} loop iterations for 5 timer runs`);
});

// Programs written here (buildSource: -O1, no frame pointers).
test('a poll() loop of its own: iterations, lag, and the sampled line of a slow job', () => {
  const source = [
    '#include <looptrace.h>',
    '#include <poll.h>',
    '#include <stdio.h>',
    '#include <time.h>',
    'static void spin(int ms) {',
    '  struct timespec a, b;',
    '  clock_gettime(CLOCK_MONOTONIC, &a);',
    '  do clock_gettime(CLOCK_MONOTONIC, &b); /* the hot line */',
    '  while ((b.tv_sec - a.tv_sec) * 1000L + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);',
    '}',
    'static int jobs[30];',
    'int main(void) {',
    '  for (int r = 0; r < 30; r++) {',
    '    LOOPTRACE_TASK_ENQUEUE(&jobs[r], "job");',
    '    poll(NULL, 0, 5);',
    '    LOOPTRACE_BEGIN(&jobs[r]);',
    '    spin(r == 15 ? 150 : 1);',
    '    LOOPTRACE_END(&jobs[r]);',
    '  }',
    '  printf("ran 30 jobs\\n");',
    '  return 0;',
    '}', ''].join('\n');
  const { out, src } = buildSource('poll_loop', source);
  const r = record([out]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stdout, /ran 30 jobs/);
  // every poll() is a loop iteration (the thread uses the probe API)
  const iterations = sql(r.db, 'SELECT count(*) AS n FROM iterations')[0].n;
  assert.ok(iterations >= 30, `${iterations} iterations for 30 polls`);
  const { findings } = report(r.db);
  const blocking = findings.find((f) => f.kind === 'blocking-task');
  assert.ok(blocking, JSON.stringify(findings, null, 1));
  assert.ok(blocking.samples > 0, JSON.stringify(blocking));
  assert.strictEqual(blocking.location.file, src);
  const hot = source.split('\n').findIndex((l) => l.includes('the hot line')) + 1;
  assert.strictEqual(blocking.location.line, hot, JSON.stringify(blocking));
  assert.strictEqual(blocking.blocking_function, 'clock_gettime');
  assert.strictEqual(sql(r.db, "SELECT value FROM meta WHERE key = 'in_dispatch_samples'")[0].value, 'on');
});

test('a program that profiles itself with SIGPROF keeps it: the sampler stays off', () => {
  const source = [
    '#include <uv.h>',
    '#include <signal.h>',
    '#include <stdio.h>',
    '#include <sys/time.h>',
    '#include <time.h>',
    'static volatile int hits;',
    'static void on_prof(int s) { (void)s; hits++; }',
    'static void burn(int ms) {',
    '  struct timespec a, b;',
    '  clock_gettime(CLOCK_MONOTONIC, &a);',
    '  do clock_gettime(CLOCK_MONOTONIC, &b);',
    '  while ((b.tv_sec - a.tv_sec) * 1000L + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);',
    '}',
    'static void first(uv_timer_t *t) { (void)t; }',
    'static void second(uv_timer_t *t) { burn(300); uv_close((uv_handle_t *)t, NULL); }',
    'int main(void) {',
    '  uv_timer_t a, b;',
    '  uv_timer_init(uv_default_loop(), &a);',
    '  uv_timer_start(&a, first, 1, 0);',
    '  uv_run(uv_default_loop(), UV_RUN_DEFAULT); /* a dispatch first: the sampler is armed */',
    '  signal(SIGPROF, on_prof);',
    '  struct itimerval every = {{0, 10000}, {0, 10000}};',
    '  setitimer(ITIMER_PROF, &every, NULL);',
    '  uv_timer_init(uv_default_loop(), &b);',
    '  uv_timer_start(&b, second, 1, 0);',
    '  uv_run(uv_default_loop(), UV_RUN_DEFAULT);',
    '  printf("profiled %s\\n", hits > 0 ? "yes" : "no");',
    '  return 0;',
    '}', ''].join('\n');
  const { out } = buildSource('self_profiling', source, ['-luv']);
  const r = record([out]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stdout, /profiled yes/);
  // the sampler deleted its timer when the program took SIGPROF: no sample after
  const late = sql(r.db, "SELECT count(*) AS n FROM samples s JOIN dispatches d ON d.seq = s.dispatch_seq JOIN resources x ON x.id = d.resource_id WHERE x.callback = 'second'")[0].n;
  assert.strictEqual(late, 0);
});
