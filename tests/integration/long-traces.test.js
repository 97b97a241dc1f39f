'use strict';
// Long traces read well (issue 14 part 5): the timeline of a run too long
// to draw whole shows the window around the worst lag and says so;
// `replay` narrows with --from/--to, --pid, --min-ms and --grep, names the
// code a slow dispatch ran, and introduces each process once, with a short
// tag when the order comes back to it.  All on real recorded programs.
const test = require('node:test');
const assert = require('node:assert');
const { FIXTURES, looptrace, record, replayJson, sql } = require('./lib');

let longRun, chatty, family;
test.before(() => {
  longRun = record(['node', 'long-run.js'], { cwd: FIXTURES });
  assert.strictEqual(longRun.status, 0, longRun.stderr);
  chatty = record(['node', 'chatty-children.js'], { cwd: FIXTURES });
  assert.strictEqual(chatty.status, 0, chatty.stderr);
  family = record(['node', 'family.js'], { cwd: FIXTURES });
  assert.strictEqual(family.status, 0, family.stderr);
});

function replay(db, args = []) {
  const r = looptrace(['replay', ...args, db], { cwd: FIXTURES });
  assert.strictEqual(r.status, 0, r.stderr);
  return r.stdout;
}

// The crunch microtask: the first reaction queued by the startCrunch timer.
function crunchOf(db) {
  const [d] = sql(db, 'SELECT d.seq, (d.end_ns - d.begin_ns) / 1e6 AS ms FROM dispatches d'
    + " WHERE d.queue = 'microtask' AND d.trigger_seq = (SELECT t.seq FROM dispatches t"
    + "  JOIN resources r ON r.id = t.resource_id WHERE r.callback = 'startCrunch')"
    + ' ORDER BY d.seq LIMIT 1');
  assert.ok(d && d.ms >= 590, `crunch ran ${d && d.ms} ms`);
  return d;
}

test('timeline of a long run: the window around the worst lag, and a title that says so', () => {
  const r = looptrace(['graph', '--view', 'timeline', '--format', 'dot', longRun.db]);
  assert.strictEqual(r.status, 0, r.stderr);
  const title = /label="([^"]*)"/.exec(r.stdout)[1].replace(/\\\n/g, ''); // dot wraps long lines
  const m = /^(\d+\.\d\d) s–(\d+\.\d\d) s of a (\d+\.\d) s run, around the worst lag \(pid (\d+), iteration (\d+), (\d+) ms busy/.exec(title);
  assert.ok(m, title);
  const seqs = /; dispatches #(\d+)–#(\d+), --from\/--to choose others;/.exec(title);
  assert.ok(seqs, title);
  // the busiest iteration of the trace (the crunch's, unless the machine
  // stalled the program longer), and a dispatch of it is drawn
  const [worst] = sql(longRun.db, 'SELECT i.pid, i.n, i.begin_ns, i.end_ns,'
    + ' (i.end_ns - i.begin_ns - COALESCE(i.poll_end_ns - i.poll_begin_ns, 0)) / 1e6 AS busy'
    + ' FROM iterations i JOIN threads t USING (pid, tid) WHERE t.js_thread_id IS NOT NULL ORDER BY busy DESC LIMIT 1');
  assert.strictEqual(Number(m[4]), worst.pid);
  assert.strictEqual(Number(m[5]), worst.n);
  assert.ok(Math.abs(Number(m[6]) - worst.busy) <= 1, `${m[6]} vs ${worst.busy}`);
  assert.ok(worst.busy >= 590, 'the crunch or worse');
  assert.ok(Number(m[2]) <= Number(m[3]) + 0.01);
  const inWorst = sql(longRun.db, `SELECT seq FROM dispatches WHERE depth = 1 AND pid = ${worst.pid}`
    + ` AND begin_ns >= ${worst.begin_ns} AND end_ns <= ${worst.end_ns}`).map((x) => x.seq);
  const drawn = [...r.stdout.matchAll(/\bd(\d+)\s+\[/g)].map((x) => Number(x[1]));
  assert.ok(inWorst.some((q) => drawn.includes(q)), 'a dispatch of the worst iteration is drawn');
  assert.ok(!drawn.includes(1), 'the start-up is not');
  assert.ok(drawn.length > 100 && drawn.length <= 500, `${drawn.length} drawn`);
  for (const q of drawn) assert.ok(q >= Number(seqs[1]) && q <= Number(seqs[2]), `#${q} outside the window named`);

  // --from/--to still choose: the title says it is their window
  const w = looptrace(['graph', '--view', 'timeline', '--format', 'dot', '--from', '1', '--to', '40', longRun.db]);
  assert.strictEqual(w.status, 0, w.stderr);
  assert.match(/label="([^"]*)"/.exec(w.stdout)[1], /^\d+\.\d\d s–\d+\.\d\d s of a \d+\.\d s run \(--from\/--to\)/);
  for (const x of w.stdout.matchAll(/\bd(\d+)\s+\[/g)) assert.ok(Number(x[1]) <= 40);
  // a short trace is drawn whole
  const f = looptrace(['graph', '--view', 'timeline', '--format', 'dot', family.db]);
  assert.match(/label="([^"]*)"/.exec(f.stdout)[1], /^the whole \d+\.\d s run;/);
});

test('replay --from/--to and --pid keep their dispatches only', () => {
  const all = replayJson(longRun.db).dispatches;
  const part = JSON.parse(replay(longRun.db, ['--format', 'json', '--from', '100', '--to', '160'])).dispatches;
  assert.deepStrictEqual(part.map((d) => d.seq), all.filter((d) => d.seq >= 100 && d.seq <= 160).map((d) => d.seq));
  const text = replay(longRun.db, ['--from', '100', '--to', '160']);
  const seqs = [...text.matchAll(/^\s*#(\d+) /gm)].map((x) => Number(x[1]));
  assert.ok(seqs.length > 0);
  for (const s of seqs) assert.ok(s >= 100 && s <= 160, `#${s}`);

  const [, childPid] = sql(chatty.db, 'SELECT DISTINCT pid FROM dispatches ORDER BY pid').map((x) => x.pid);
  const one = replay(chatty.db, ['--pid', String(childPid)]);
  assert.deepStrictEqual([...new Set([...one.matchAll(/^== process (\d+)/gm)].map((x) => Number(x[1])))], [childPid]);
  assert.ok(!/^\[pid/m.test(one), 'one process: no tags');
  assert.match(one, / > alpha 7|> beta 7/);
});

test('replay --min-ms: the slow dispatch, the task that began its tick, the code it ran', () => {
  const crunch = crunchOf(longRun.db);
  const text = replay(longRun.db, ['--min-ms', '200']);
  const lines = text.split('\n');
  const at = lines.findIndex((l) => new RegExp(`^\\s*#${crunch.seq} `).test(l));
  assert.ok(at > 0, text);
  assert.match(lines[at - 1], /^#\d+ .*timer\s+Timeout .*startCrunch/, 'the timer that began the tick comes first');
  assert.match(lines[at + 1], /~ \d+ ms in crunch \(long-run\.js:\d+\)/, 'the user code the samples saw');
  assert.match(text, /\(\d+ dispatches not shown by --min-ms 200\)/);
  // every dispatch shown ran 200 ms or more, or is the task that began the
  // tick of the next one shown (whatever else a busy machine stretched)
  const shown = JSON.parse(replay(longRun.db, ['--format', 'json', '--min-ms', '200'])).dispatches;
  const ms = (d) => (d.end_ns - d.begin_ns) / 1e6;
  shown.forEach((d, k) => {
    if (ms(d) >= 200 || d.depth > 1) return; // slow, or nested in a slow one
    const next = shown[k + 1];
    assert.ok(next && ms(next) >= 200 && next.pid === d.pid && next.tid === d.tid
      && !['microtask', 'nextTick'].includes(d.queue) && d.depth === 1, `#${d.seq} (${ms(d)} ms) is shown`);
  });
  const long = sql(longRun.db, 'SELECT seq FROM dispatches WHERE end_ns - begin_ns >= 200000000 ORDER BY seq').map((x) => x.seq);
  assert.deepStrictEqual(shown.filter((d) => ms(d) >= 200).map((d) => d.seq), long);
  const slow = shown.find((d) => d.seq === crunch.seq);
  assert.strictEqual(slow.sampled.function, 'crunch');
  assert.ok(slow.sampled.user_samples > 0);
  // with no frame of the program's own code sampled, the code that was
  const other = replay(longRun.db, ['--min-ms', '200', '--user-code', '*/not-this-program.js']);
  assert.match(other, /~ \d+ ms in crunch, none of the program's own code sampled  \(\d+ samples\)/, other);
});

test('replay --grep matches output, callback names and locations', () => {
  const byOutput = replay(longRun.db, ['--grep', 'needle']);
  assert.deepStrictEqual(byOutput.match(/^\s*#\d+ /gm).length, 1, byOutput);
  assert.match(byOutput, /> needle in the haystack/);
  const crunch = crunchOf(longRun.db);
  const byName = replay(longRun.db, ['--grep', '^startCrunch$']);
  // the timer and the reactions made in it: crunch and the one after it
  const named = byName.match(/^\s*#\d+ /gm).map((x) => Number(x.trim().slice(1)));
  assert.ok(named.includes(crunch.seq) && named.includes(crunch.seq - 1), byName);
  assert.ok(named.length <= 3, byName);
  const byPlace = replay(longRun.db, ['--grep', 'long-run\\.js:19:']); // the setTimeout line
  assert.strictEqual(byPlace.match(/^\s*#\d+ /gm).length, 1, byPlace);
  assert.match(byPlace, /timer\s+Timeout .*startCrunch/);
  const none = replay(longRun.db, ['--grep', 'no such thing anywhere']);
  assert.match(none, /^\(no dispatches match the filters\)/m);
  const bad = looptrace(['replay', '--grep', '(', longRun.db]);
  assert.strictEqual(bad.status, 2);
  assert.match(bad.stderr, /^looptrace: replay: --grep: /);
});

test('replay introduces each process once and tags a switch back to it', () => {
  const text = replay(chatty.db);
  const pids = sql(chatty.db, 'SELECT DISTINCT pid FROM dispatches').map((x) => x.pid);
  assert.strictEqual(pids.length, 3);
  for (const pid of pids) {
    assert.strictEqual(text.split('\n').filter((l) => l.startsWith(`== process ${pid}`)).length, 1, `header of ${pid}`);
  }
  const tags = text.split('\n').filter((l) => /^\[pid \d+\]$/.test(l));
  assert.ok(tags.length >= 2, `the order switches back to known processes (${tags.length} tags)`);
  // every line of output is still there
  for (const name of ['alpha', 'beta', 'parent']) for (let i = 0; i < 8; i++) assert.ok(text.includes(`> ${name} ${i}\n`), `${name} ${i}`);
  // a worker thread: its own header once, then tags that name it
  const fam = replay(family.db);
  assert.strictEqual((fam.match(/^== process \d+ worker 1 \(thread \d+\)$/gm) || []).length, 1, fam);
  const famPid = sql(family.db, 'SELECT pid FROM threads WHERE js_thread_id = 1')[0].pid;
  assert.ok(fam.includes(`[pid ${famPid}]`));
});
