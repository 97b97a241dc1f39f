'use strict';
// Fidelity: every puzzle, recorded for real, must replay its output in the
// program's real order with each line in the queue that an independent
// oracle (tests/labeller, async_hooks-based) established.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { PUZZLES, record, replayJson, outputLines } = require('./lib');

const puzzles = fs.readdirSync(PUZZLES).filter((f) => /^\d+.*\.js$/.test(f)).sort();

test('there are at least 20 puzzles with expectations', () => {
  const withExpected = puzzles.filter((f) => fs.existsSync(path.join(PUZZLES, f.replace(/\.js$/, '.expected'))));
  assert.ok(withExpected.length >= 20, `only ${withExpected.length} puzzles have .expected files`);
});

for (const file of puzzles) {
  const expectedPath = path.join(PUZZLES, file.replace(/\.js$/, '.expected'));
  if (!fs.existsSync(expectedPath)) continue;
  test(`puzzle ${file}`, () => {
    const expected = fs.readFileSync(expectedPath, 'utf8').split('\n').filter(Boolean).map((l) => {
      const tab = l.indexOf('\t');
      return { queue: l.slice(0, tab), line: l.slice(tab + 1) };
    });
    const r = record(['node', file], { cwd: PUZZLES });
    assert.strictEqual(r.status, 0, r.stderr);
    const real = r.stdout.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '');
    assert.deepStrictEqual(real, expected.map((e) => e.line), 'the program printed what the puzzle expects');
    const lines = outputLines(replayJson(r.db));
    assert.deepStrictEqual(lines.map((l) => l.line), real, 'replay order equals the real output order');
    assert.deepStrictEqual(lines.map((l) => `${l.queue}\t${l.line}`), expected.map((e) => `${e.queue}\t${e.line}`),
      'every line is attributed to the expected queue');
    fs.rmSync(r.dir, { recursive: true, force: true });
  });
}

// The expectations come from the oracle, not from looptrace: re-derive them.
test('the independent labeller still agrees with every .expected file', () => {
  const os = require('node:os');
  const { run } = require('./lib');
  const labeller = path.join(__dirname, '..', 'labeller', 'label.js');
  for (const file of puzzles) {
    const expectedPath = path.join(PUZZLES, file.replace(/\.js$/, '.expected'));
    if (!fs.existsSync(expectedPath)) continue;
    const out = path.join(os.tmpdir(), `looptrace-label-${process.pid}.txt`);
    const r = run('node', ['--require', labeller, file], { cwd: PUZZLES, env: { ...process.env, LABEL_OUT: out } });
    assert.strictEqual(r.status, 0, `${file}: ${r.stderr}`);
    assert.strictEqual(fs.readFileSync(out, 'utf8'), fs.readFileSync(expectedPath, 'utf8'), file);
    fs.rmSync(out, { force: true });
  }
});
