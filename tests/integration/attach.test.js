'use strict';
// `looptrace attach` and `record --bpf`: eBPF uprobes on a running node
// process.  Needs root (CAP_BPF + CAP_PERFMON) and kernel BTF; where the
// probes cannot be loaded every test here is skipped with the reason (and
// the line "eBPF tests skipped: <reason>", which ctest reports as a skip).
const test = require('node:test');
const assert = require('node:assert');
const http = require('node:http');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { FIXTURES, LOOPTRACE, looptrace, run, sql, tmpdir } = require('./lib');

const SERVER = path.join(FIXTURES, 'blocking-server.js');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// The 1-based line of the first line of file holding text.
const lineOf = (file, text) => require('node:fs').readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;

// A looptrace run that does not block this process's loop (the servers and
// wrk are separate processes; an HTTP request from here needs the loop).
function looptraceAsync(args, { onStderr } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(LOOPTRACE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; if (onStderr) onStderr(stderr); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

// Attach (not quiet) and resolve `attached` once the probes are in.
function attachAsync(args) {
  let ready;
  const attached = new Promise((resolve) => { ready = resolve; });
  const done = looptraceAsync(['attach', ...args], {
    onStderr: (text) => { if (/Ctrl-C detaches/.test(text)) ready(); },
  });
  done.then(() => ready());
  return { attached, done };
}

function wrkAsync(port, seconds, extra = []) {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t2', '-c16', `-d${seconds}s`, ...extra, `http://127.0.0.1:${port}/`],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, out }));
  });
}

// Start a node program; resolves with the child and its first stdout line.
// It runs in a scratch directory: --perf-basic-prof leaves a V8 log there.
function startNode(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, ...env }, cwd: tmpdir(),
    });
    let buf = '';
    const onData = (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        child.stdout.off('data', onData);
        child.stdout.resume(); // keep draining: a full pipe would block it
        resolve({ child, line: buf.slice(0, nl) });
      }
    };
    child.stdout.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before it was ready`)));
  });
}

function get(port) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/after', agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function report(db) {
  const r = looptrace(['report', '--format', 'json', db]);
  assert.strictEqual(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

// Can this machine load the probes?  Attach to a short-lived node process.
let skipReason = null;
{
  const probe = spawnSync('sh', ['-c',
    `"${process.execPath}" -e "setInterval(() => {}, 50)" & pid=$!; sleep 0.3; ` +
    `"${LOOPTRACE}" attach -q -p $pid --duration 0.2 -o "${path.join(tmpdir(), 'probe.db')}"; ` +
    'rc=$?; kill $pid; exit $rc'], { encoding: 'utf8', timeout: 60000 });
  if (probe.status !== 0) {
    skipReason = (probe.stderr || '').trim().split('\n').pop() || `attach exited with ${probe.status}`;
    console.log(`eBPF tests skipped: ${skipReason}`);
  }
}
// A build without the probes refuses everything with that one reason.
const noProbes = skipReason && /built without its eBPF probes/.test(skipReason) ? skipReason : null;
const bpfTest = (name, fn) => test(name, { skip: skipReason ? `eBPF unavailable: ${skipReason}` : false, timeout: 120000 }, fn);

bpfTest('attached to a server under load: blocking iterations, lag, no errors, still serving after', async () => {
  const { child, line } = await startNode([SERVER]);
  const port = Number(line);
  try {
    const dir = tmpdir();
    const db = path.join(dir, 'attach.db');
    // the load runs all through the attached window (whatever start-up takes here)
    const session = attachAsync(['-p', String(child.pid), '--duration', '5', '-o', db]);
    await session.attached;
    const w = await wrkAsync(port, 4);
    const r = await session.done;
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stderr, /looptrace: attached [\d.]+ s with \d+ probes: \d+ events, \d+ dispatches/);
    assert.strictEqual(w.status, 0, w.out);
    assert.match(w.out, /Requests\/sec/);
    assert.doesNotMatch(w.out, /Socket errors|Non-2xx/, w.out);

    const rep = report(db);
    const blocking = rep.findings.filter((f) => f.kind === 'blocking-task');
    const why = () => JSON.stringify({ findings: rep.findings, metrics: rep.metrics, attach: r.stderr, wrk: w.out,
      long: sql(db, 'SELECT seq, type, iteration, (end_ns - begin_ns) / 1e6 AS ms FROM dispatches'
        + ' WHERE end_ns - begin_ns >= 20e6') });
    assert.strictEqual(blocking.length, 1, why());
    assert.strictEqual(blocking[0].queue, 'io');
    assert.strictEqual(blocking[0].type, 'TCPWRAP');
    assert.ok(blocking[0].count >= 10, `blocking iterations: ${blocking[0].count} ${why()}`);
    assert.ok(blocking[0].duration_ms >= 95 && blocking[0].duration_ms < 200, `worst ${blocking[0].duration_ms} ms`);
    assert.ok(rep.metrics.event_loop_lag.p99_ms >= 80, `lag p99 ${rep.metrics.event_loop_lag.p99_ms}`);
    assert.strictEqual(rep.metrics.pid, child.pid);
    // the blocking dispatches are in the trace, with their iterations
    const [slow] = sql(db, 'SELECT count(*) AS n, count(DISTINCT iteration) AS its FROM dispatches'
      + ' WHERE end_ns - begin_ns >= 95e6');
    assert.ok(slow.n >= 10 && slow.its === slow.n, JSON.stringify(slow));
    const [its] = sql(db, 'SELECT count(*) AS n FROM iterations WHERE poll_begin_ns IS NOT NULL');
    assert.ok(its.n >= 10, `iterations: ${its.n}`);
    const meta = Object.fromEntries(sql(db, 'SELECT key, value FROM meta').map((m) => [m.key, m.value]));
    assert.strictEqual(meta.capture, 'bpf');
    assert.strictEqual(meta.attached_pids, String(child.pid));
    assert.match(meta.command, /blocking-server\.js/);

    // replay, graph and export work on it unchanged
    const replay = JSON.parse(looptrace(['replay', '--format', 'json', db]).stdout);
    assert.ok(replay.dispatches.some((d) => d.type === 'TCPWRAP' && d.end_ns - d.begin_ns >= 95e6));
    const text = looptrace(['replay', db]);
    assert.match(text.stdout, /io\s+TCPWRAP/);
    const svg = path.join(dir, 'timeline.svg');
    assert.strictEqual(looptrace(['graph', '--view', 'timeline', '-o', svg, db]).status, 0);
    const page = path.join(dir, 'report.html');
    assert.strictEqual(looptrace(['report', '--format', 'html', '-o', page, db]).status, 0);
    const html = require('node:fs').readFileSync(page, 'utf8');
    assert.match(html, /data-kind="blocking-task"/);
    assert.match(html, /<rect class="d q-io long"/);
    assert.match(html, /"attached":true/);

    // detached: the server goes on serving
    assert.strictEqual(child.exitCode, null, 'the server is still running');
    const after = await get(port);
    assert.strictEqual(after.status, 200);
    assert.match(after.body, /^ok \d+\n$/);
  } finally {
    await stop(child);
  }
});

// blocking-server.js started with --perf-basic-prof (env: its options),
// attached for 3 s under wrk: fn(db, blocking finding) checks the trace.
async function withNamedBlocking(name, env, fn) {
  const { child, line } = await startNode(['--perf-basic-prof', SERVER], env);
  const port = Number(line);
  try {
    const db = path.join(tmpdir(), `${name}.db`);
    const session = attachAsync(['-p', String(child.pid), '--duration', '3', '-o', db]);
    await session.attached;
    await wrkAsync(port, 2);
    const r = await session.done;
    assert.strictEqual(r.status, 0, r.stderr);
    const blocking = report(db).findings.find((f) => f.kind === 'blocking-task');
    assert.ok(blocking, 'a blocking finding');
    await fn(db, blocking);
  } finally {
    await stop(child);
    require('node:fs').rmSync(`/tmp/perf-${child.pid}.map`, { force: true });
  }
}

// The time goes to node's crypto, called from the program's hashChain: the
// finding is at hashChain (the program's function sampled most), not at the
// handler that called it.
bpfTest('node --perf-basic-prof: a helper that blocks in node\'s own code is the place, not its caller', () =>
  withNamedBlocking('helper', { BLOCK_WITH: 'hash' }, (db, blocking) => {
    assert.strictEqual(blocking.location.function, 'hashChain', JSON.stringify(blocking));
    assert.strictEqual(blocking.location.file, SERVER);
    assert.strictEqual(blocking.location.line, lineOf(SERVER, 'function hashChain'));
    assert.match(blocking.callback, /^(handleRequest|hashChain)$/);
    assert.ok(blocking.samples > 0, JSON.stringify(blocking));
  }));

bpfTest('node --perf-basic-prof: the blocking JavaScript function is named, at its definition', () =>
  withNamedBlocking('named', {}, (db, blocking) => {
    // the function the samples were in, at its definition (the perf map
    // names functions, not lines); the callback is what Node called
    assert.strictEqual(blocking.location.function, 'busyWait', JSON.stringify(blocking));
    assert.strictEqual(blocking.location.file, SERVER);
    assert.strictEqual(blocking.location.line, lineOf(SERVER, 'function busyWait'), 'where busyWait is defined');
    // (TurboFan may inline handleRequest into Node's emit: then busyWait
    // is the outermost function of the program the samples show)
    assert.match(blocking.message, /I\/O callback (handleRequest|busyWait) \(TCPWRAP\) blocked the event loop \d+ times/);
    assert.ok(blocking.samples > 0, JSON.stringify(blocking));
    // replay shows where a slow dispatch's time went, as for a recorded trace
    const slow = looptrace(['replay', '--min-ms', '90', db]);
    assert.strictEqual(slow.status, 0, slow.stderr);
    assert.match(slow.stdout, /~ \d+ ms in busyWait \(\S+blocking-server\.js:\d+\) +\(\d+ of \d+ samples\)/, slow.stdout);
    const frames = sql(db, "SELECT DISTINCT function FROM stacks WHERE depth = 0");
    assert.ok(frames.some((f) => f.function === 'busyWait'), JSON.stringify(frames));
  }));

bpfTest('rejections left unhandled and handles that pile up are reported for an attached process', async () => {
  const { child, line } = await startNode([SERVER], {
    BLOCK_EVERY: '0', LEAK_EVERY: '5', REJECT_EVERY: '4', QUIET_REJECTIONS: '1',
  });
  const port = Number(line);
  try {
    const db = path.join(tmpdir(), 'defects.db');
    const session = attachAsync(['-p', String(child.pid), '--duration', '3', '-o', db]);
    await session.attached;
    // a connection per request: handles opened and closed all through the window
    const w = await wrkAsync(port, 3, ['-H', 'Connection: close']);
    assert.doesNotMatch(w.out, /Non-2xx/, w.out);
    const r = await session.done;
    assert.strictEqual(r.status, 0, r.stderr);
    const rep = report(db);
    const rejected = rep.findings.find((f) => f.kind === 'unhandled-rejection');
    assert.ok(rejected, JSON.stringify(rep.findings));
    assert.ok(rejected.count >= 5, `rejections: ${rejected.count}`);
    const leak = rep.findings.find((f) => f.kind === 'leaked-handle');
    assert.ok(leak, JSON.stringify(rep.findings));
    assert.strictEqual(leak.type, 'TCPWRAP');
    assert.strictEqual(leak.growing, true);
    // handles that were closed are not leaks
    const [closed] = sql(db, "SELECT count(*) AS n FROM resources WHERE type = 'TCPWRAP' AND destroyed_ns IS NOT NULL");
    assert.ok(closed.n >= 16, `closed TCP handles: ${closed.n}`);
    assert.strictEqual(child.exitCode, null);
    assert.strictEqual((await get(port)).status, 200);
  } finally {
    await stop(child);
  }
});

bpfTest('several node processes at once, each with its own loop', async () => {
  const ticker = 'setInterval(() => { const t = Date.now(); while (Date.now() - t < 2); }, 10); console.log("ready")';
  const a = await startNode(['-e', ticker]);
  const b = await startNode(['-e', ticker]);
  try {
    const db = path.join(tmpdir(), 'two.db');
    const r = await looptraceAsync(['attach', '-q', '-p', String(a.child.pid), '-p', String(b.child.pid),
      '--duration', '1', '-o', db]);
    assert.strictEqual(r.status, 0, r.stderr);
    const rows = sql(db, "SELECT pid, count(*) AS n FROM dispatches WHERE queue = 'timer' GROUP BY pid ORDER BY pid");
    assert.deepStrictEqual(rows.map((x) => x.pid).sort(), [a.child.pid, b.child.pid].sort());
    for (const row of rows) assert.ok(row.n >= 20, JSON.stringify(rows));
    assert.strictEqual(a.child.exitCode, null);
    assert.strictEqual(b.child.exitCode, null);
  } finally {
    await stop(a.child);
    await stop(b.child);
  }
});

bpfTest('SIGINT detaches, writes the trace and leaves the process running', async () => {
  const { child } = await startNode(['-e', 'setInterval(() => {}, 5); console.log("ready")']);
  try {
    const db = path.join(tmpdir(), 'sigint.db');
    const lt = spawn(LOOPTRACE, ['attach', '-p', String(child.pid), '-o', db], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    lt.stderr.on('data', (d) => { stderr += d; });
    const closed = new Promise((resolve) => lt.on('close', (status) => resolve(status)));
    while (!/Ctrl-C detaches/.test(stderr)) await sleep(50);
    await sleep(700);
    const t0 = Date.now();
    lt.kill('SIGINT');
    assert.strictEqual(await closed, 0, stderr);
    assert.ok(Date.now() - t0 < 3000, `detach and import took ${Date.now() - t0} ms`);
    const [it] = sql(db, 'SELECT count(*) AS n FROM iterations');
    assert.ok(it.n >= 50, `iterations: ${it.n}`);
    await sleep(100);
    assert.strictEqual(child.exitCode, null, 'the target is still running');
    assert.strictEqual(child.signalCode, null);
  } finally {
    await stop(child);
  }
});

bpfTest('threadpool work and GC pauses of an attached process', async () => {
  const script = 'const fs = require("fs"), crypto = require("crypto");'
    + ' const keep = Array.from({ length: 300000 }, (_, i) => ({ i, s: String(i) }));'
    + ' setInterval(() => { global.gc(); for (let i = 0; i < 20; i++) fs.stat(process.execPath, () => {});'
    + ' crypto.pbkdf2("pw", "salt", 10000, 32, "sha256", () => {}); }, 50); console.log("ready", keep.length)';
  const { child } = await startNode(['--expose-gc', '-e', script]);
  try {
    const db = path.join(tmpdir(), 'pool.db');
    const r = await looptraceAsync(['attach', '-q', '-p', String(child.pid), '--duration', '1.5', '-o', db]);
    assert.strictEqual(r.status, 0, r.stderr);
    const meta = Object.fromEntries(sql(db, "SELECT key, value FROM meta WHERE key LIKE 'threadpool%'")
      .map((m) => [m.key, m.value]));
    assert.ok(Number(meta.threadpool_items) >= 200, JSON.stringify(meta));
    const kinds = /^fs (\d+), work (\d+), dns 0, random 0$/.exec(meta.threadpool_items_by_kind);
    assert.ok(kinds && Number(kinds[1]) >= 200 && Number(kinds[2]) >= 10, meta.threadpool_items_by_kind);
    assert.match(meta.threadpool_run_ms, /^p50 [\d.]+ p99 [\d.]+ max [\d.]+$/);
    // ...and the report carries them
    const rep = JSON.parse(looptrace(['report', '--format', 'json', db]).stdout);
    assert.strictEqual(rep.metrics.capture, 'bpf');
    assert.strictEqual(rep.metrics.threadpool.items, Number(meta.threadpool_items));
    assert.ok(rep.metrics.threadpool.run.max_ms > 0 && rep.metrics.threadpool.run.max_ms >= rep.metrics.threadpool.run.p50_ms);
    assert.match(looptrace(['report', db]).stdout, /attached with eBPF: \d+ threadpool items, queue wait p50/);
    const [gc] = sql(db, "SELECT count(*) AS n, min(end_ns - begin_ns) AS shortest FROM blocking_calls WHERE call = 'gc'");
    assert.ok(gc.n >= 5 && gc.shortest >= 1e6, JSON.stringify(gc));
    // the completions ran on the loop as uv_async callbacks
    const [async] = sql(db, "SELECT count(*) AS n FROM dispatches WHERE type = 'uv_async'");
    assert.ok(async.n >= 10, JSON.stringify(async));
  } finally {
    await stop(child);
  }
});

bpfTest('record --bpf runs the command, traces its loop and exits with its status', () => {
  const db = path.join(tmpdir(), 'rec.db');
  const script = 'const s0 = Date.now(); while (Date.now() - s0 < 80);'
    + ' let n = 0; const t = setInterval(() => { n++; if (n === 30) { const s = Date.now(); '
    + 'while (Date.now() - s < 120); } if (n === 60) { clearInterval(t); process.exitCode = 3; } }, 10);';
  const r = looptrace(['record', '--bpf', '-q', '-o', db, '--', process.execPath, '-e', script]);
  assert.strictEqual(r.status, 3, r.stderr);
  const meta = Object.fromEntries(sql(db, 'SELECT key, value FROM meta').map((m) => [m.key, m.value]));
  assert.strictEqual(meta.capture, 'bpf');
  assert.strictEqual(meta.exit_status, '3');
  const rep = report(db);
  const blocking = rep.findings.filter((f) => f.kind === 'blocking-task');
  // the timer's long task is a blocking task; the main module's 80 ms is the
  // program's start-up, reported once as such (not as a blocked loop)
  assert.deepStrictEqual(blocking.map((f) => f.queue), ['timer'], JSON.stringify(rep.findings));
  const startup = rep.findings.filter((f) => f.kind === 'startup');
  assert.strictEqual(startup.length, 1, JSON.stringify(rep.findings));
  assert.ok(startup[0].duration_ms >= 80, JSON.stringify(startup[0]));
  assert.ok(blocking.find((f) => f.queue === 'timer').duration_ms >= 115);
  // probed from before node started: the main script is a dispatch of its own
  const [main] = sql(db, "SELECT (d.end_ns - d.begin_ns) / 1e6 AS ms, t.main_script FROM dispatches d"
    + " JOIN threads t ON t.pid = d.pid AND t.tid = d.tid WHERE d.queue = 'main'");
  assert.ok(main && main.ms >= 80 && main.ms < 400, JSON.stringify(main));
  assert.strictEqual(main.main_script, '[eval]');
  assert.ok(rep.metrics.iterations >= 20, `iterations ${rep.metrics.iterations}`);
});

bpfTest('a process that is not node, or not there, is refused with exit status 2', async () => {
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const r = looptrace(['attach', '-p', String(sleeper.pid), '--duration', '1', '-o', path.join(tmpdir(), 'x.db')]);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /^looptrace: attach: process \d+ is not a Node\.js process[^\n]*\n$/);
  } finally {
    sleeper.kill();
  }
  const gone = looptrace(['attach', '-p', '999999999', '-o', path.join(tmpdir(), 'y.db')]);
  assert.strictEqual(gone.status, 2);
  assert.match(gone.stderr, /^looptrace: attach: no process 999999999[^\n]*\n$/);
});

// Root only: drop every capability (and root) and expect a clean refusal.
test('without CAP_BPF/CAP_PERFMON: exit status 2 and one line saying so', (t) => {
  if (noProbes) return t.skip(noProbes);
  if (process.getuid() !== 0) return t.skip('needs root to drop privileges with setpriv');
  const r = run('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all',
    '--bounding-set=-all', LOOPTRACE, 'attach', '-p', String(process.pid), '--duration', '1',
    '-o', '/tmp/looptrace-refused.db']);
  if (r.status === 1 && /setpriv/.test(r.stderr)) return t.skip(`setpriv failed: ${r.stderr.trim()}`);
  assert.strictEqual(r.status, 2, r.stderr);
  assert.match(r.stderr, /^looptrace: attach needs CAP_BPF and CAP_PERFMON[^\n]*\n$/);
  const rec = run('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all',
    '--bounding-set=-all', LOOPTRACE, 'record', '--bpf', '-o', '/tmp/looptrace-refused.db', '--', 'true']);
  assert.strictEqual(rec.status, 2, rec.stderr);
  assert.match(rec.stderr, /^looptrace: record: attach needs CAP_BPF and CAP_PERFMON[^\n]*\n$/);
});

// Root only: hide the kernel's BTF in a private mount namespace.
test('without kernel BTF: exit status 2 and one line naming it', (t) => {
  if (noProbes) return t.skip(noProbes);
  if (process.getuid() !== 0) return t.skip('needs root for a private mount namespace');
  const r = run('unshare', ['-m', 'sh', '-c',
    `mount -t tmpfs none /sys/kernel/btf && exec "${LOOPTRACE}" attach -p ${process.pid} -o /tmp/looptrace-nobtf.db`]);
  if (r.status !== 2 && /unshare|mount/.test(r.stderr)) return t.skip(`cannot hide the BTF here: ${r.stderr.trim()}`);
  assert.strictEqual(r.status, 2, r.stderr);
  assert.match(r.stderr, /^looptrace: attach needs kernel BTF, and \/sys\/kernel\/btf\/vmlinux is missing[^\n]*\n$/);
});

// A killed attach session cannot remove its capture directory: what it
// wrote imports, and the next attach removes it (in a private mount
// namespace with its own /dev/shm, so no other run's files are touched).
bpfTest('attach killed with SIGKILL: its capture imports, the next attach removes it', (t) => {
  const work = tmpdir();
  const q = (s) => `'${s.replace(/'/g, "'\\''")}'`;
  const r = run('unshare', ['-m', '--propagation', 'private', 'bash', '-c', `
    mount -t tmpfs -o size=64m tmpfs /dev/shm || exit 77
    cd ${q(work)}
    ${q(process.execPath)} -e "setInterval(() => { for (let i = 0; i < 20; i++) Promise.resolve().then(() => {}); }, 2)" &
    pid=$!
    sleep 0.5
    ${q(LOOPTRACE)} attach -p $pid -o killed.db 2> attach.err &
    att=$!
    for i in $(seq 1 300); do grep -q 'Ctrl-C detaches' attach.err && break; sleep 0.1; done
    sleep 1.5
    kill -9 $att
    wait $att 2>/dev/null
    left=$(ls -d /dev/shm/looptrace-attach-$att-*)
    echo "left $left"
    ${q(LOOPTRACE)} import -o left.db "$left" 2>&1
    echo "import $?"
    ${q(LOOPTRACE)} attach -p $pid --duration 0.3 -o next.db 2>&1
    echo "attach $?"
    echo "after $(ls /dev/shm | wc -l)"
    kill $pid`], { timeout: 120000 });
  if (r.status === 77) return t.skip('no private /dev/shm (unshare -m and a tmpfs mount refused)');
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stdout, /^left \/dev\/shm\/looptrace-attach-\d+-\w{6}$/m, r.stdout);
  assert.match(r.stdout, /^import 0$/m, r.stdout);
  const dispatches = sql(path.join(work, 'left.db'), 'SELECT count(*) AS n FROM dispatches')[0].n;
  assert.ok(dispatches > 100, `the leftover holds the 1.5 s before the kill: ${dispatches} dispatches`);
  assert.match(r.stdout, /^looptrace: removed 1 leftover capture directory of recorders that are gone \([\d.]+ MiB, \/dev\/shm\/looptrace-attach-/m);
  assert.match(r.stdout, /^attach 0$/m, r.stdout);
  assert.match(r.stdout, /^after 0$/m, r.stdout);
});

test('attach usage errors exit 2 with one line', () => {
  for (const args of [['attach'], ['attach', '-p', 'abc'], ['attach', '-p', '1', '--duration', '-1'],
    ['attach', '-p', '1', '--bogus']]) {
    const r = looptrace(args);
    assert.strictEqual(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^looptrace: attach: [^\n]+\n$/);
  }
});
