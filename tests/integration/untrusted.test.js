'use strict';
// Traces and paths from somebody else (issue 12): hand-made traces of each
// class a reader must survive — NULL columns, a time bomb, a depth bomb, a
// FIFO in place of a trace, a planted symbolic link as -o, -o naming the
// input, a locked trace, a backwards window — each ends in exit 0 or in
// exit 2 with one line, within 2 s and 200 MB, touching no file but the
// named output.  As root with the eBPF probes: a FIFO planted as the
// target's perf map does not hang `attach`.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');
const { LOOPTRACE, FIXTURES, looptrace, record, run, tmpdir } = require('./lib');

// ASan builds (scripts/test.sh, build-asan/) run 2-3x slower.
const SLOW = /build-asan/.test(LOOPTRACE) ? 3 : 1;
const MAX_S = 2 * SLOW;
const MAX_KB = 200 * 1024 * (SLOW > 1 ? 2 : 1);

// Run looptrace under /usr/bin/time: status, output, seconds, max RSS (KiB).
let timeDir;
function measured(args, opts = {}) {
  timeDir = timeDir || tmpdir();
  const times = path.join(timeDir, 'time');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', times, LOOPTRACE, ...args], {
    encoding: 'utf8', timeout: 60000, maxBuffer: 64 << 20, ...opts,
  });
  if (r.error) throw r.error;
  const [seconds, kb] = fs.readFileSync(times, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, seconds, kb };
}

// Exit 2, one line "looptrace: ...", no signal, within the bounds.
function refused(r, pattern, what) {
  assert.strictEqual(r.signal, null, `${what}: killed by ${r.signal}`);
  assert.strictEqual(r.status, 2, `${what}: status ${r.status}\n${r.stderr}`);
  assert.match(r.stderr, /^looptrace: [^\n]*\n$/, `${what}: not one line: ${JSON.stringify(r.stderr)}`);
  if (pattern) assert.match(r.stderr, pattern, what);
  within(r, what);
}

function within(r, what) {
  assert.ok(r.seconds <= MAX_S, `${what}: took ${r.seconds} s`);
  assert.ok(r.kb <= MAX_KB, `${what}: used ${r.kb} KiB`);
}

function sha(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

// Every reader, with the arguments that make it read everything.
const READERS = [
  ['report'], ['report', '-f', 'json'], ['report', '-f', 'html'], ['replay'], ['replay', '-f', 'json'],
  ['graph', '-f', 'dot'], ['graph', '-f', 'dot', '--view', 'timeline'], ['graph', '-f', 'dot', '--view', 'causality'],
  ['export'],
];

let base;
function baseTrace() {
  if (!base) {
    const r = record(['node', path.join(FIXTURES, 'output-mix.js')]);
    assert.strictEqual(r.status, 0, r.stderr);
    base = r.db;
  }
  return base;
}

// A copy of the base trace changed by SQL, in a directory of its own.
function handMade(statements) {
  const dir = tmpdir();
  const db = path.join(dir, 'hand.db');
  fs.copyFileSync(baseTrace(), db);
  const r = run('sqlite3', [db, statements]);
  assert.strictEqual(r.status, 0, r.stderr);
  return { dir, db };
}

test('a new trace is private (0600)', () => {
  assert.strictEqual(fs.statSync(baseTrace()).mode & 0o777, 0o600);
});

test('NULL, mistyped and unknown column values: exit 2 naming the table and row, in every reader', () => {
  const cases = [
    ['UPDATE dispatches SET queue = NULL, phase = NULL WHERE seq = 3', /dispatches row 3: queue is NULL$/m],
    ['UPDATE dispatches SET phase = NULL WHERE seq = 4', /dispatches row 4: phase is NULL$/m],
    ["UPDATE dispatches SET queue = 'x<script>' WHERE seq = 2", /dispatches row 2: queue is not a known queue$/m],
    ["UPDATE dispatches SET begin_ns = 'soon' WHERE seq = 2", /dispatches row 2: begin_ns is not an integer$/m],
    ['UPDATE dispatches SET end_ns = begin_ns - 1 WHERE seq = 5', /dispatches row 5: ends before it begins$/m],
    ['UPDATE resources SET type = NULL WHERE id = (SELECT min(id) FROM resources)', /resources row \d+: type is NULL$/m],
    ['UPDATE threads SET start_ns = -5', /threads row pid=\d+ tid=\d+: start_ns -5 is out of range$/m],
    ["UPDATE output SET text = x'00ff' WHERE id = (SELECT min(id) FROM output)", /output row \d+: text is not text$/m],
    ['DROP INDEX output_by_dispatch', /output_by_dispatch is missing/],
    ['DROP TABLE samples; CREATE TABLE samples(id, pid, tid, ts_ns, dispatch_seq, stack_id)', /samples is missing or not as looptrace creates it/],
  ];
  for (const [statement, pattern] of cases) {
    const { dir, db } = handMade(statement);
    for (const args of READERS) refused(measured([...args, db]), pattern, `${args.join(' ')} after ${statement}`);
    assert.deepStrictEqual(fs.readdirSync(dir), ['hand.db']);
  }
});

test('a trace on the record of checked traces is checked again after any write, even with its size, header and mtime put back', () => {
  const cache = tmpdir(); // 0700, ours
  const env = { ...process.env, XDG_CACHE_HOME: cache };
  const r = record(['node', path.join(FIXTURES, 'output-mix.js')], { env });
  assert.strictEqual(r.status, 0, r.stderr);
  // the recorder's importer tested every value it wrote against the
  // check's rules (recorder/import_vouch.h): the trace is on the record
  // before anything reads it
  const known = path.join(cache, 'looptrace', 'checked-traces');
  assert.ok(fs.existsSync(known), 'recorded as checked by the importer');
  assert.strictEqual(fs.statSync(known).mode & 0o777, 0o600);
  const vouched = fs.readFileSync(known);
  const first = measured(['report', r.db], { env });
  assert.strictEqual(first.status, 0, first.stderr);
  assert.ok(fs.readFileSync(known).equals(vouched), 'the first report found it there and wrote nothing');
  assert.strictEqual(fs.statSync(path.dirname(known)).mode & 0o777, 0o700);
  for (const args of READERS) {
    const ok = measured([...args, r.db], { env });
    assert.strictEqual(ok.status, 0, `${args.join(' ')}: ${ok.stderr}`);
  }
  // a bad copy's bytes written over it in place: same inode and size, the
  // recorded trace's 100-byte header, and its timestamps put back
  const dir = tmpdir();
  const bad = path.join(dir, 'bad.db');
  fs.copyFileSync(r.db, bad);
  const u = run('sqlite3', [bad, "UPDATE dispatches SET begin_ns = 'soon' WHERE seq = 2"]);
  assert.strictEqual(u.status, 0, u.stderr);
  const bytes = fs.readFileSync(bad);
  const original = fs.readFileSync(r.db);
  assert.strictEqual(bytes.length, original.length);
  original.copy(bytes, 0, 0, 100);
  const stamp = path.join(dir, 'stamp');
  fs.writeFileSync(stamp, '');
  assert.strictEqual(run('touch', ['-r', r.db, stamp]).status, 0);
  const before = fs.statSync(r.db, { bigint: true });
  const fd = fs.openSync(r.db, 'r+');
  fs.writeSync(fd, bytes, 0, bytes.length, 0);
  fs.closeSync(fd);
  assert.strictEqual(run('touch', ['-r', stamp, r.db]).status, 0);
  const after = fs.statSync(r.db, { bigint: true });
  assert.strictEqual(after.ino, before.ino);
  assert.strictEqual(after.size, before.size);
  assert.strictEqual(after.mtimeNs, before.mtimeNs);
  for (const args of READERS)
    refused(measured([...args, r.db], { env }), /dispatches row 2: begin_ns is not an integer$/m, `${args.join(' ')} after an in-place write`);
  // the paranoid's switch: no record read or written
  const off = { ...env, LOOPTRACE_FULL_CHECK: '1', XDG_CACHE_HOME: tmpdir() };
  const fresh = record(['node', path.join(FIXTURES, 'output-mix.js')], { env: off });
  assert.strictEqual(fresh.status, 0, fresh.stderr);
  assert.strictEqual(measured(['report', fresh.db], { env: off }).status, 0);
  assert.deepStrictEqual(fs.readdirSync(off.XDG_CACHE_HOME), []);
});

test('time bombs: one poll end moved by 1e15 or 1e17 ns costs nothing', () => {
  for (const shift of ['1000000000000000', '100000000000000000']) {
    const { db } = handMade(`UPDATE iterations SET poll_end_ns = poll_end_ns + ${shift}
      WHERE n = (SELECT min(n) FROM iterations WHERE poll_end_ns IS NOT NULL)`);
    for (const args of READERS) {
      const r = measured([...args, db]);
      assert.strictEqual(r.signal, null);
      assert.ok(r.status === 0 || r.status === 2, `${args.join(' ')}: status ${r.status} ${r.stderr}`);
      within(r, `${args.join(' ')} with a poll moved by ${shift} ns`);
    }
  }
});

test('depth bombs: a depth of 1e8 is refused, a deep but possible one stays on a short line', () => {
  const { db } = handMade('UPDATE dispatches SET depth = 100000000 WHERE seq = 3');
  for (const args of READERS) refused(measured([...args, db]), /dispatches row 3: depth 100000000 is out of range/, args.join(' '));
  const deep = handMade('UPDATE dispatches SET depth = 90000 WHERE seq > 1');
  const r = measured(['replay', '--all', deep.db]);
  assert.strictEqual(r.status, 0, r.stderr);
  within(r, 'replay of depth 90000');
  const lines = r.stdout.split('\n');
  assert.ok(lines.some((l) => l.includes('[depth 90000] #')), r.stdout.slice(0, 2000));
  const indent = Math.max(...lines.map((l) => l.length - l.trimStart().length));
  assert.ok(indent <= 2 * 64 + 12, `indented by ${indent} columns`);
  for (const args of READERS.filter((a) => a[0] !== 'replay')) within(measured([...args, deep.db]), args.join(' '));
});

test('a FIFO in place of a trace (or of a capture file) is refused at once', () => {
  const dir = tmpdir();
  const fifo = path.join(dir, 'trace.db');
  assert.strictEqual(run('mkfifo', [fifo]).status, 0);
  for (const args of READERS) refused(measured([...args, fifo]), /not a regular file/, `${args.join(' ')} of a FIFO`);
  const capture = tmpdir();
  assert.strictEqual(run('mkfifo', [path.join(capture, '1-1.ltr')]).status, 0);
  refused(measured(['import', '-o', path.join(dir, 'out.db'), capture]), null, 'import of a FIFO capture');
  assert.deepStrictEqual(fs.readdirSync(dir), ['trace.db']);
});

test('import of an empty directory is an error', () => {
  const dir = tmpdir();
  const empty = path.join(dir, 'capture');
  fs.mkdirSync(empty);
  refused(measured(['import', '-o', path.join(dir, 'out.db'), empty]), /no capture files/, 'import of an empty directory');
  assert.deepStrictEqual(fs.readdirSync(dir), ['capture']);
});

test('-o through a planted symbolic link or onto the input is refused; nothing else is touched', () => {
  const db = baseTrace();
  const before = sha(db);
  const dir = tmpdir();
  const victim = path.join(dir, 'victim');
  fs.writeFileSync(victim, 'keep me', { mode: 0o600 });
  const link = path.join(dir, 'out');
  fs.symlinkSync(victim, link);
  const writers = [['report'], ['report', '-f', 'html'], ['export'], ['graph', '-f', 'dot']];
  for (const args of writers) {
    refused(measured([...args, '-o', link, db]), /symbolic link/, `${args.join(' ')} -o link`);
    refused(measured([...args, '-o', db, db]), /trace being read/, `${args.join(' ')} -o input`);
    const hard = path.join(dir, 'hard.db');
    fs.linkSync(db, hard);
    refused(measured([...args, '-o', hard, db]), /trace being read/, `${args.join(' ')} -o hard link of the input`);
    fs.unlinkSync(hard);
  }
  assert.strictEqual(fs.readFileSync(victim, 'utf8'), 'keep me');
  assert.strictEqual(sha(db), before);
  assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['out', 'victim']);
  // a good output appears whole and private
  const out = path.join(dir, 'report.json');
  const ok = measured(['report', '-f', 'json', '-o', out, db]);
  assert.strictEqual(ok.status, 0, ok.stderr);
  assert.strictEqual(fs.statSync(out).mode & 0o777, 0o600);
});

test('record -o to a bad path fails before the command runs', () => {
  const dir = tmpdir();
  const marker = path.join(dir, 'ran');
  const cmd = ['--', 'sh', '-c', `touch '${marker}'`];
  const link = path.join(dir, 'link.db');
  fs.symlinkSync(path.join(dir, 'elsewhere.db'), link);
  const fifo = path.join(dir, 'fifo.db');
  assert.strictEqual(run('mkfifo', [fifo]).status, 0);
  for (const out of [path.join(dir, 'no/such/dir/t.db'), dir, link, fifo]) {
    const r = measured(['record', '-q', '-o', out, ...cmd]);
    refused(r, null, `record -o ${out}`);
    assert.ok(!fs.existsSync(marker), `record -o ${out} ran the command`);
  }
});

test('graph --from 5 --to 2 is a usage error', () => {
  refused(measured(['graph', '--from', '5', '--to', '2', baseTrace()]), /--from 5 is after --to 2/, 'graph --from 5 --to 2');
});

test('a locked trace says it is locked', async () => {
  const { db } = handMade('SELECT 1');
  const holder = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise((resolve) => holder.stdout.on('data', (d) => {
    out += d;
    if (out.includes('locked')) resolve();
  }));
  holder.stdin.write("PRAGMA locking_mode=EXCLUSIVE;\nBEGIN EXCLUSIVE;\nINSERT INTO meta VALUES('x', 'y');\n.print locked\n");
  await ready;
  try {
    for (const args of [['report'], ['replay'], ['graph', '-f', 'dot'], ['export']])
      refused(measured([...args, db]), /locked/, `${args.join(' ')} of a locked trace`);
  } finally {
    holder.stdin.end('ROLLBACK;\n');
    await new Promise((resolve) => holder.on('exit', resolve));
  }
  assert.strictEqual(looptrace(['report', db]).status, 0);
});

// As root with the probes: a FIFO another user made /tmp/perf-PID.map
// (attach reads the target's JIT map to name JavaScript frames) must not
// hang attach, which keeps to --duration and detaches.
test('attach is not hung by a FIFO planted as the perf map', { timeout: 120000 }, (t) => {
  if (process.getuid() !== 0) return t.skip('needs root (attach)');
  const probe = spawnSync('sh', ['-c',
    `"${process.execPath}" -e "setInterval(() => {}, 50)" & pid=$!; sleep 0.3; ` +
    `"${LOOPTRACE}" attach -q -p $pid --duration 0.2 -o "${path.join(tmpdir(), 'probe.db')}"; ` +
    'rc=$?; kill $pid; exit $rc'], { encoding: 'utf8', timeout: 60000 });
  if (probe.status !== 0) return t.skip(`eBPF unavailable: ${(probe.stderr || '').trim().split('\n').pop()}`);
  const dir = tmpdir();
  // busy 30 ms callbacks: the stack sampler fires and looks the frames up
  const node = spawn(process.execPath, ['-e',
    'setInterval(() => { const end = Date.now() + 30; while (Date.now() < end); }, 5)'], { stdio: 'ignore' });
  const map = `/tmp/perf-${node.pid}.map`;
  try {
    fs.rmSync(map, { force: true });
    assert.strictEqual(run('mkfifo', [map]).status, 0);
    const t0 = Date.now();
    const r = looptrace(['attach', '-q', '-p', String(node.pid), '--duration', '2', '-o', path.join(dir, 'a.db')],
      { timeout: 30000 });
    const seconds = (Date.now() - t0) / 1000;
    assert.strictEqual(r.signal, null, `attach hung (killed after ${seconds} s)`);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.ok(seconds < 15, `attach took ${seconds} s`);
    assert.strictEqual(looptrace(['report', path.join(dir, 'a.db')]).status, 0);
  } finally {
    node.kill();
    fs.rmSync(map, { force: true });
  }
});
