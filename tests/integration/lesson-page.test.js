'use strict';
// The lesson page in a real browser (Debian's Chromium, headless, driven by
// playwright-core; both installed by scripts/setup.sh), from file://:
// predict by keyboard only or by drag and drop, check, reveal step by step,
// the source highlight follows the step, wrong guesses are marked and
// explained, the glossary link is there, and nothing the program wrote or
// printed becomes markup.  No console errors, no request but the page.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { FIXTURES, SOURCE_DIR, TEST_NODE, looptrace, tmpdir } = require('./lib');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const LESSON = path.join(SOURCE_DIR, 'examples/lessons/03-nexttick-vs-promise.js');
const EXPECTED = fs.readFileSync(LESSON.replace(/\.js$/, '.expected'), 'utf8').trim().split('\n');

function lessonPage(program) {
  const out = path.join(tmpdir(), 'lesson.html');
  const r = looptrace(['lesson', '--node', TEST_NODE, '-o', out, program]);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.strictEqual(r.stdout, '', 'the program\'s output (the answer) is not shown on the terminal');
  return out;
}

let browser;
async function open(t, file) {
  if (!browser) {
    const { chromium } = require(path.join(SOURCE_DIR, 'tests/browser/node_modules/playwright-core'));
    assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup.sh (Debian package chromium)`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    });
  }
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (req) => { if (!req.url().startsWith('file://')) problems.push(`request: ${req.url()}`); });
  t.after(() => assert.deepStrictEqual(problems, [], 'no console errors or requests'));
  await page.goto('file://' + file);
  return page;
}
test.after(() => browser && browser.close());

const guessTexts = (page) => page.$$eval('#guess li', (lis) => lis.map((li) => li.dataset.text));
const focusedText = (page) => page.evaluate(() => document.activeElement && document.activeElement.dataset.text);

test('keyboard only: order the lines right, check, step through with the source highlighted', async (t) => {
  const page = await open(t, lessonPage(LESSON));
  assert.notDeepStrictEqual(await guessTexts(page), EXPECTED, 'the page does not give the answer away');
  // Tab to the first line of the exercise
  for (let i = 0; i < 30 && !(await focusedText(page)); i++) await page.keyboard.press('Tab');
  assert.ok(await focusedText(page), 'a guess line takes the keyboard focus');
  // selection sort with the keys: focus position k, find the line, Alt+Up it there
  for (let k = 0; k < EXPECTED.length; k++) {
    let at = (await guessTexts(page)).indexOf(EXPECTED[k], k);
    // move the focus to the line (arrow keys), then the line up (Alt+Up)
    let focused = (await guessTexts(page)).indexOf(await focusedText(page));
    while (focused < at) { await page.keyboard.press('ArrowDown'); focused++; }
    while (focused > at) { await page.keyboard.press('ArrowUp'); focused--; }
    while (at > k) { await page.keyboard.press('Alt+ArrowUp'); at--; }
  }
  assert.deepStrictEqual(await guessTexts(page), EXPECTED, 'the keys put the lines in order');
  for (let i = 0; i < 10 && (await page.evaluate(() => document.activeElement.id)) !== 'check'; i++) await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.match(await page.textContent('#score'), new RegExp(`^${EXPECTED.length} of ${EXPECTED.length} lines`));
  assert.strictEqual(await page.$$eval('#guess li.right', (l) => l.length), EXPECTED.length);
  assert.ok(await page.isVisible('#reveal'), 'the reveal opens');
  assert.match(await page.textContent('#step-label'), /^Step 1 of \d+: #\d+ main script/);
  assert.match(await page.textContent('#why-text'), /main script runs first/);
  // step with the keys until the nextTick callback
  for (let i = 0; i < 10 && !/nextTick/.test(await page.textContent('#step-label')); i++) await page.keyboard.press('ArrowRight');
  assert.match(await page.textContent('#step-label'), /nextTick · "nextTick"/);
  assert.match(await page.textContent('#why-text'), /process\.nextTick callbacks run as soon as the current callback returns, before any promise job/);
  assert.strictEqual(await page.getAttribute('#why-link', 'href'), '#g-nexttick');
  assert.ok(await page.$('#g-nexttick'), 'the glossary has the entry');
  assert.match(await page.textContent('#source li.ran'), /console\.log\('nextTick'\)/, 'the line that printed is highlighted');
  assert.match(await page.textContent('#source li.site'), /process\.nextTick\(/, 'the line that scheduled it is highlighted');
  assert.match(await page.textContent('#queues'), /microtask \(promise job\) \(2\)[\s\S]*timer \(1\)/, 'what still waits');
  assert.match(await page.textContent('#output'), /script[\s\S]*nextTick[\s\S]*as you predicted/);
  await page.keyboard.press('End');
  assert.match(await page.textContent('#step-label'), /^Step (\d+) of \1:/, 'End goes to the last step');
  await page.keyboard.press('Home');
  assert.match(await page.textContent('#step-label'), /^Step 1 of/);
  await page.focus('#scrub');
  await page.keyboard.press('ArrowRight');
  assert.match(await page.textContent('#step-label'), /^Step 2 of/, 'the scrubber steps');
});

test('a wrong prediction is marked and explained; lines can be dragged', async (t) => {
  const page = await open(t, lessonPage(LESSON));
  const before = await guessTexts(page);
  await page.dragAndDrop('#guess li:nth-child(3)', '#guess li:nth-child(1)');
  const after = await guessTexts(page);
  assert.strictEqual(after[0], before[2], 'the dragged line moved to the top');
  // make sure the order is wrong: the real last line first
  const last = EXPECTED[EXPECTED.length - 1];
  while ((await guessTexts(page))[0] !== last) {
    const k = (await guessTexts(page)).indexOf(last);
    await page.click(`#guess li:nth-child(${k + 1}) button[aria-label="move up"]`);
  }
  await page.click('#check');
  assert.ok(await page.$$eval('#guess li.wrong', (l) => l.length) >= 2, 'wrong lines are marked');
  assert.match(await page.textContent('#guess li:nth-child(1) .verdict'), new RegExp(`was line ${EXPECTED.length}`));
  assert.match(await page.textContent('#output'), /you predicted "setTimeout 0" here/);
  assert.match(await page.textContent('#output .explain'), /^It came now because: The main script runs first/);
  await page.click('#last');
  assert.match(await page.textContent('#why-text'), /Timers phase|Nothing was left/);
});

test('what the program wrote and printed stays text', async (t) => {
  const page = await open(t, lessonPage(path.join(FIXTURES, 'lesson-markup.js')));
  assert.strictEqual(await page.evaluate(() => window.__pwned), undefined, 'no script of the program ran');
  assert.strictEqual(await page.$$eval('img', (l) => l.length), 0, 'no element from the program');
  assert.match(await page.textContent('h1'), /<\/script><script>window.__pwned = 1<\/script> a lesson/);
  assert.ok((await guessTexts(page)).includes('main & <b>bold</b>'));
  await page.click('#skip');
  await page.click('#last');
  assert.match(await page.textContent('#output'), /timer says <img src=x onerror/);
  assert.match(await page.textContent('#source'), /<\/script><script>window.__pwned = 1<\/script>/);
  assert.strictEqual(await page.$$eval('b, i', (l) => l.length), 0, 'no <b> or <i> from the program');
  assert.match(await page.textContent('#version-note'),
    /^This order depends on the Node version: Node versions: <i>an example note<\/i>, shown as text \(this page was recorded with Node v\d+/);
});
