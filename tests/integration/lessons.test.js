'use strict';
// The lesson set (examples/lessons/): every lesson is recorded by
// `looptrace lesson` on Node 22, 24 and 26 (tests/node-versions, installed by
// scripts/setup.sh), two at a time; the order of its output in the recorded
// trace must be the one in NAME.expected (NAME.nodeNN.expected where that
// Node version differs), and the page must carry the same order, the source,
// and a "why now" sentence with a glossary entry for every step.
//
// LOOPTRACE_LESSONS_UPDATE=1 writes NAME.expected from the Node 22 run
// (review the diff: the expected orders are the lessons' answers).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { LOOPTRACE, SOURCE_DIR, tmpdir, replayJson, outputLines } = require('./lib');

const LESSONS = path.join(SOURCE_DIR, 'examples/lessons');
const VERSIONS = [22, 24, 26];
const UPDATE = process.env.LOOPTRACE_LESSONS_UPDATE === '1';
const PARALLEL = 2;

function nodeBinary(major) {
  const bin = path.join(SOURCE_DIR, `tests/node-versions/node_modules/node${major}/bin/node`);
  return fs.existsSync(bin) ? bin : null;
}

const lessons = fs.readdirSync(LESSONS).filter((f) => /^\d+-.*\.js$/.test(f)).sort();
const dir = tmpdir();

function runLesson(major, file) {
  const name = file.replace(/\.js$/, '');
  const db = path.join(dir, `node${major}-${name}.db`);
  const page = path.join(dir, `node${major}-${name}.html`);
  const args = ['lesson', '--node', nodeBinary(major), '--trace', db, '-o', page, path.join(LESSONS, file)];
  return new Promise((resolve, reject) => {
    const child = spawn(LOOPTRACE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, db, page });
    });
  });
}

// Every (version, lesson) run, PARALLEL at a time, started once.
const runs = new Map();
function allRuns() {
  if (runs.size) return runs;
  const jobs = [];
  for (const major of VERSIONS) {
    if (!nodeBinary(major)) continue;
    for (const file of lessons) jobs.push([major, file]);
  }
  let next = 0;
  const results = jobs.map(() => {
    let done;
    const p = new Promise((resolve) => { done = resolve; });
    return { p, done };
  });
  async function lane() {
    while (next < jobs.length) {
      const k = next++;
      const [major, file] = jobs[k];
      results[k].done(await runLesson(major, file).catch((e) => ({ status: -1, stderr: String(e) })));
    }
  }
  for (let i = 0; i < PARALLEL; i++) lane();
  jobs.forEach(([major, file], k) => runs.set(`${major}/${file}`, results[k].p));
  return runs;
}

function expectedOf(major, name) {
  for (const f of [`${name}.node${major}.expected`, `${name}.expected`]) {
    const p = path.join(LESSONS, f);
    if (fs.existsSync(p)) return fs.readFileSync(p, 'utf8').split('\n').filter((l) => l !== '');
  }
  return null;
}

function pageData(html) {
  const m = /<script type="application\/json" id="lesson-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'the page has its data element');
  return JSON.parse(m[1]);
}

test('there are at least 20 lessons, each with its expected order', () => {
  assert.ok(lessons.length >= 20, `${lessons.length} lessons`);
  if (UPDATE) return;
  for (const file of lessons) assert.ok(expectedOf(22, file.replace(/\.js$/, '')), `${file} has an expected order`);
});

for (const major of VERSIONS) {
  const bin = nodeBinary(major);
  for (const file of lessons) {
    const name = file.replace(/\.js$/, '');
    test(`node ${major}: ${name}`, { skip: bin ? false : `Node ${major} is not installed (scripts/setup.sh)` },
      async () => {
        const r = await allRuns().get(`${major}/${file}`);
        assert.strictEqual(r.status, 0, r.stderr);
        const got = outputLines(replayJson(r.db)).map((l) => l.line);
        if (UPDATE && major === 22) fs.writeFileSync(path.join(LESSONS, `${name}.expected`), got.join('\n') + '\n');
        const expected = expectedOf(major, name);
        assert.deepStrictEqual(got, expected, `${name} on Node ${major}: the recorded order`);
        const html = fs.readFileSync(r.page, 'utf8');
        assert.doesNotMatch(html, /<script[^>]+\bsrc=|<link\b|https?:\/\//, 'nothing fetched');
        const data = pageData(html);
        const pageLines = data.steps.flatMap((s) => (s.out === '' ? [] : s.out.replace(/\n$/, '').split('\n')));
        assert.deepStrictEqual(pageLines, expected, 'the page teaches the recorded order');
        assert.strictEqual(data.sources[0].file, path.join(LESSONS, file), 'the program source is in the page');
        assert.strictEqual(data.sources[0].lines.join('\n').trim(), fs.readFileSync(path.join(LESSONS, file), 'utf8').trim());
        for (const s of data.steps) {
          assert.ok(s.why.length > 20, `step #${s.seq} says why it ran`);
          assert.match(html, new RegExp(`<dt id="g-${s.concept}">`), `step #${s.seq}'s concept is in the glossary`);
        }
      });
  }
}

test('replay --step: every step with why, source and output when not interactive; keys in a terminal', async (t) => {
  const bin = nodeBinary(22);
  if (!bin) return t.skip('Node 22 is not installed (scripts/setup.sh)');
  const r = await allRuns().get(`22/03-nexttick-vs-promise.js`);
  assert.strictEqual(r.status, 0, r.stderr);
  const { looptrace, run, sql } = require('./lib');
  const stored = sql(r.db, 'SELECT file, text FROM sources');
  assert.strictEqual(stored[0].file, path.join(LESSONS, '03-nexttick-vs-promise.js'), 'the source is in the trace');
  assert.strictEqual(stored[0].text, fs.readFileSync(stored[0].file, 'utf8'));
  const out = looptrace(['replay', '--step', r.db]);
  assert.strictEqual(out.status, 0, out.stderr);
  const steps = out.stdout.split('\n').filter((l) => /^step \d+ of \d+:/.test(l));
  assert.ok(steps.length >= 6, out.stdout);
  assert.match(out.stdout, /step 2 of \d+: #\d+ nextTick "nextTick"[^\n]*\n  why now: process\.nextTick callbacks run as soon as the current callback returns, before any promise job[^\n]*\[nexttick\]\n  scheduled at [^\n]*03-nexttick-vs-promise\.js:4\n[\s\S]*?  >\s+4 \| process\.nextTick[\s\S]*?  > nextTick\n/);
  assert.match(out.stdout, /still waiting\n[\s\S]*microtask: #\d+ "promise then" #\d+ "queueMicrotask"/);
  const bad = looptrace(['replay', '--step', '--format', 'json', r.db]);
  assert.strictEqual(bad.status, 2);
  // in a terminal (script(1) gives it one): go to step 3, back one, quit
  const tty = run('script', ['-qec', `${LOOPTRACE} replay --step ${r.db}`, '/dev/null'], { input: '3\np\nq\n' });
  const shown = [...tty.stdout.matchAll(/^step (\d+) of/gm)].map((m) => Number(m[1]));
  assert.deepStrictEqual(shown, [1, 3, 2], tty.stdout);
});
