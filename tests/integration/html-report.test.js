'use strict';
// `looptrace report --format html`: the page is self-contained, escapes
// everything the program controls, and works in a real browser — Debian's
// Chromium, headless, driven by playwright-core (both installed by
// scripts/setup.sh) — from file://, with no console errors.  A screenshot is
// kept in tests/artifacts/ (or $LOOPTRACE_ARTIFACTS).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { FIXTURES, PUZZLES, SOURCE_DIR, looptrace, record, tmpdir } = require('./lib');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.LOOPTRACE_ARTIFACTS || path.join(SOURCE_DIR, 'tests/artifacts');

function playwright() {
  try {
    return require(path.join(SOURCE_DIR, 'tests/browser/node_modules/playwright-core'));
  } catch (e) {
    throw new Error(`playwright-core is missing: run scripts/setup.sh (npm install in tests/browser): ${e.message}`);
  }
}

function htmlReport(db, extra = []) {
  const out = path.join(tmpdir(), 'report.html');
  const r = looptrace(['report', '--format', 'html', ...extra, '-o', out, db]);
  assert.strictEqual(r.status, 0, r.stderr);
  return { file: out, text: fs.readFileSync(out, 'utf8') };
}

const fixture = record(['node', 'html-report.js'], { cwd: FIXTURES });

test('the page is one self-contained file', () => {
  assert.strictEqual(fixture.status, 0, fixture.stderr);
  const { text } = htmlReport(fixture.db);
  assert.match(text, /^<!DOCTYPE html>/);
  assert.doesNotMatch(text, /<link\b|<script[^>]+\bsrc=|<img\b[^>]*\bsrc=|url\(/i, 'nothing is fetched');
  assert.doesNotMatch(text, /https?:\/\//, 'no network address anywhere');
  assert.match(text, /Content-Security-Policy[^>]+script-src 'nonce-[0-9a-f]{32}'/);
  assert.match(text, /<svg id="lag-histogram"/);
  assert.match(text, /<svg id="iteration-chart"/);
  assert.match(text, /<svg id="timeline"/);
});

test('what the program named and printed is escaped', () => {
  const { text } = htmlReport(fixture.db);
  // the program's strings as markup would be an injection
  assert.ok(!text.includes('<script>window.__pwned'), 'no <script> from the program');
  assert.ok(!text.includes('<img src=x'), 'no <img> from the program');
  assert.ok(!/<\/script><script>window/.test(text), 'no way out of the data element');
  // ...they are there as text
  assert.ok(text.includes('&lt;/script&gt;&lt;script&gt;window.__pwned = 3&lt;/script&gt;'), 'rejection reason shown as text');
  assert.ok(text.includes('\\u003cimg src=x onerror'), 'output kept in the step data, HTML-safe');
  assert.ok(!/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text), 'no raw control characters');
});

test('findings carry their location and a few lines of code', () => {
  const { text } = htmlReport(fixture.db);
  const blocking = /<article class="finding sev-\w+" id="finding-\d+" data-kind="blocking-task">([\s\S]*?)<\/article>/.exec(text);
  assert.ok(blocking, 'a blocking-task finding');
  // Placed at the line the samples caught running (the busy loop), with the
  // function's header among the lines of context.
  assert.match(blocking[1], /html-report\.js:7:\d+/);
  assert.match(blocking[1], /<span class="line here"><span class="no">7<\/span>  while \(Date\.now\(\) &lt; until \|\| cpuMs\(cpu0\) &lt; 100\);/);
  assert.match(blocking[1], /<span class="no">5<\/span>function blockTheLoop\(\) \{<\/span>/);
  assert.match(text, /data-kind="unhandled-rejection"/);
});

test('a file the trace names is read only when it is program source', () => {
  // A trace is a file anyone can hand over: its locations must not make the
  // report embed arbitrary files.
  const src = fs.readFileSync(path.join(FIXTURES, 'html-report.js'), 'utf8');
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'secret.txt'), src);
  fs.copyFileSync(fixture.db, path.join(dir, 't.db'));
  const r = require('node:child_process').spawnSync('sqlite3', [path.join(dir, 't.db'),
    `UPDATE stacks SET file = '${path.join(dir, 'secret.txt')}' WHERE file LIKE '%html-report.js'`]);
  assert.strictEqual(r.status, 0, String(r.stderr));
  const { text } = htmlReport(path.join(dir, 't.db'));
  const blocking = /data-kind="blocking-task">([\s\S]*?)<\/article>/.exec(text)[1];
  assert.match(blocking, /secret\.txt:7:\d+/, 'the location is still shown');
  assert.doesNotMatch(blocking, /<pre class="code">/, 'but the file is not read');
});

test('timeline marks the long task, the late timer and the rejection', () => {
  const { text } = htmlReport(fixture.db);
  const svg = /<svg id="timeline"[\s\S]*?<\/svg>/.exec(text)[0];
  assert.match(svg, /<rect class="d q-timer long[^"]*"[^>]*data-seq="\d+"><title>#\d+ timer Timeout blockTheLoop: \d{3,}\.\d+ ms \(long task\)/);
  assert.match(svg, /<rect class="d q-timer[^"]* late"[^>]*><title>[^<]*lateTimer[^<]*timer late by \d+\.\d ms/);
  assert.match(svg, /class="[^"]*rejection"/);
  const stats = /data-boxes="(\d+)" data-dispatches="(\d+)"/.exec(text);
  assert.ok(Number(stats[1]) >= 3 && Number(stats[1]) <= Number(stats[2]));
});

test('graph --view timeline marks late timers and rejections too', () => {
  const out = path.join(tmpdir(), 'tl.dot');
  const r = looptrace(['graph', '--view', 'timeline', '--format', 'dot', '-o', out, fixture.db]);
  assert.strictEqual(r.status, 0, r.stderr);
  const dot = fs.readFileSync(out, 'utf8');
  assert.match(dot, /late by \d+\.\d ms/);
  assert.match(dot, /color="#f4a261"/);
  assert.match(dot, /color="#7b2cbf"/);
});

test('in headless Chromium: no console errors, findings and timeline shown, step-through steps', async (t) => {
  const { chromium } = playwright();
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup.sh (Debian package chromium)`);
  const { file } = htmlReport(fixture.db);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-extensions', '--no-first-run'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (req) => { if (!req.url().startsWith('file://')) problems.push(`request: ${req.url()}`); });
  await page.goto('file://' + file);

  assert.ok(await page.locator('#findings article.finding').count() >= 2, 'findings shown');
  assert.strictEqual(await page.locator('#findings article[data-kind="blocking-task"] pre.code .here').count(), 1);
  assert.ok(await page.locator('#timeline rect.d').count() >= 3, 'timeline boxes shown');
  assert.ok(await page.locator('#timeline rect.long').isVisible());

  const stepOf = async () => Number(await page.getAttribute('#step-pos', 'data-step'));
  assert.strictEqual(await stepOf(), 1);
  assert.ok(await page.isDisabled('#step-prev'));
  const firstNow = await page.textContent('#step-now .body');
  await page.click('#step-next');
  assert.strictEqual(await stepOf(), 2, 'a click advances the step-through');
  assert.notStrictEqual(await page.textContent('#step-now .body'), firstNow);
  await page.keyboard.press('ArrowRight');
  assert.strictEqual(await stepOf(), 3, 'so does the right arrow key');
  await page.click('#step-prev');
  assert.strictEqual(await stepOf(), 2);

  // a click on the long task opens it, with its call stack and the queues
  await page.click('#timeline rect.long');
  assert.match(await page.textContent('#step-now .body'), /blockTheLoop/);
  assert.match(await page.textContent('#step-stack .body'), /blockTheLoop.*running/);
  assert.match(await page.textContent('#step-origin .body'), /html-report\.js:17:1/, 'where it was scheduled');
  assert.match(await page.textContent('#step-queues [data-queue="timer"] h4'), /timer \(\d+\)/);
  assert.match(await page.textContent('#step-queues [data-queue="timer"]'), /lateTimer/, 'the late timer waits behind it');
  assert.strictEqual(await page.locator('#timeline rect.current').count(), 1);

  await page.click('#step-last');
  const console_ = await page.textContent('#step-console .body');
  assert.ok(console_.includes('<img src=x onerror="window.__pwned = 2">'), 'program output shown as text');
  assert.strictEqual(await page.evaluate(() => window.__pwned), undefined, 'nothing from the program ran');
  assert.strictEqual(await page.locator('img').count(), 0);

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.click('#step-first');
  await page.click('#step-next');
  await page.screenshot({ path: path.join(ARTIFACTS, 'html-report.png'), fullPage: true });
  assert.deepStrictEqual(problems, [], 'no console errors, no requests');
});

test('every puzzle renders and steps in Chromium without errors', async (t) => {
  const { chromium } = playwright();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  const puzzles = fs.readdirSync(PUZZLES).filter((f) => /^\d+.*\.js$/.test(f)).sort();
  for (const name of puzzles) {
    const r = record(['node', name], { cwd: PUZZLES });
    const { file, text } = htmlReport(r.db);
    await page.goto('file://' + file);
    const total = JSON.parse(/<script type="application\/json" id="lt-steps">([\s\S]*?)<\/script>/.exec(text)[1]).steps.length;
    assert.ok(total > 0, `${name}: steps`);
    await page.click('#step-last');
    assert.strictEqual(Number(await page.getAttribute('#step-pos', 'data-step')), total, name);
    // by the last step, everything the program printed to stdout is on the console pane
    const shown = await page.textContent('#step-console .body');
    for (const line of r.stdout.split('\n').filter(Boolean)) assert.ok(shown.includes(line), `${name}: "${line}" shown`);
  }
  assert.deepStrictEqual(problems, []);
});

test('bad report format: one line, status 2', () => {
  const r = looptrace(['report', '--format', 'xml', fixture.db]);
  assert.strictEqual(r.status, 2);
  assert.match(r.stderr, /^looptrace: report: --format is text, json, html or sarif/);
  assert.strictEqual(r.stderr.trim().split('\n').length, 1);
});

test('names and output that are markup and control bytes render safely in every format', () => {
  const r = record(['node', 'hostile.js'], { cwd: FIXTURES });
  assert.strictEqual(r.status, 0, r.stderr);
  const dir = tmpdir();
  const controls = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
  const outputs = [
    ['replay.txt', ['replay', r.db]],
    ['replay.json', ['replay', '--format', 'json', r.db]],
    ['report.txt', ['report', r.db]],
    ['report.json', ['report', '--format', 'json', r.db]],
    ['report.html', ['report', '--format', 'html', r.db]],
    ['export.json', ['export', r.db]],
  ];
  for (const view of ['order', 'timeline', 'causality']) {
    for (const format of ['svg', 'dot', 'png', 'pdf']) outputs.push([`${view}.${format}`, ['graph', '--view', view, '--format', format, r.db]]);
  }
  for (const [name, args] of outputs) {
    const file = path.join(dir, name);
    const toStdout = args[0] === 'replay'; // replay writes to stdout only
    const res = looptrace(toStdout ? args : [...args.slice(0, -1), '-o', file, args[args.length - 1]]);
    assert.strictEqual(res.status, 0, `${name}: ${res.stderr}`);
    const data = toStdout ? Buffer.from(res.stdout) : fs.readFileSync(file);
    assert.ok(data.length > 0, `${name} written`);
    if (/\.(png|pdf)$/.test(name)) continue;
    const text = data.toString('utf8');
    assert.ok(!controls.test(text), `${name}: no raw control characters`);
    if (name.endsWith('.json')) JSON.parse(text);
    if (/\.(svg|html)$/.test(name)) {
      assert.ok(!text.includes('<script>alert'), `${name}: the program's <script> is not markup`);
      assert.ok(!text.includes('<b>'), `${name}: the program's <b> is not markup`);
    }
  }
});
