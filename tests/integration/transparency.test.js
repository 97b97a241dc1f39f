'use strict';
// Transparency: a program run under the recorder has the same exit status,
// stdout and stderr as without it — crashing, rejecting and exiting ones too.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { FIXTURES, PUZZLES, run, record, normalize } = require('./lib');

const cases = [
  ['crash-in-timer.js'],
  ['unhandled-rejection.js'],
  ['unhandled-rejection.js', '--unhandled-rejections=strict'],
  ['unhandled-rejection.js', '--unhandled-rejections=warn'],
  ['unhandled-rejection.js', '--unhandled-rejections=none'],
  ['exit-code.js'],
  ['exit-code-set.js'],
  ['late-handled.js'],
  ['throw-in-main.js'],
  ['output-mix.js'],
];

for (const [file, ...flags] of cases) {
  test(`same behaviour: ${file} ${flags.join(' ')}`, () => {
    const args = ['node', ...flags, file];
    const plain = run(args[0], args.slice(1), { cwd: FIXTURES });
    const traced = record(args, { cwd: FIXTURES });
    assert.strictEqual(traced.status, plain.status, `exit status (stderr: ${traced.stderr})`);
    assert.strictEqual(traced.stdout, plain.stdout, 'stdout');
    assert.strictEqual(normalize(traced.stderr), normalize(plain.stderr), 'stderr');
    assert.ok(fs.existsSync(traced.db), 'a trace was written');
    fs.rmSync(traced.dir, { recursive: true, force: true });
  });
}

test('same behaviour on every puzzle', () => {
  const puzzles = fs.readdirSync(PUZZLES).filter((f) => /^\d+.*\.js$/.test(f));
  assert.ok(puzzles.length > 0);
  for (const file of puzzles) {
    const plain = run('node', [file], { cwd: PUZZLES });
    const traced = record(['node', file], { cwd: PUZZLES });
    assert.strictEqual(traced.status, plain.status, `${file}: exit status`);
    assert.strictEqual(traced.stdout, plain.stdout, `${file}: stdout`);
    assert.strictEqual(normalize(traced.stderr), normalize(plain.stderr), `${file}: stderr`);
    fs.rmSync(traced.dir, { recursive: true, force: true });
  }
});

test('the program sees no listeners it did not add', () => {
  const probe = path.join(FIXTURES, '..', 'fixtures', 'exit-code-set.js');
  const script = "for (const e of ['unhandledRejection','rejectionHandled','exit','beforeExit','uncaughtException'])"
    + " console.log(e, process.listenerCount(e));";
  const plain = run('node', ['-e', script]);
  const traced = record(['node', '-e', script]);
  assert.ok(fs.existsSync(probe));
  assert.strictEqual(traced.stdout, plain.stdout);
});

// Issue 10: the watchdog's interrupts, the clear* wrappers and the class
// read for a rejection's reason change nothing the program shows.
test('same behaviour with a sampled long block, cleared timers and a subclassed rejection', () => {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'looptrace-transparency-'));
  try {
    const prog = path.join(dir, 'sampled.js');
    fs.writeFileSync(prog, `function spin(ms) { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x++; return x; }
const early = setTimeout(() => console.log('never'), 1000);
clearTimeout(early);
class RequestError extends Error { constructor(m) { super(m); this.code = 'E_REQ'; } }
setTimeout(function blocked() {
  spin(250);
  console.log(clearTimeout.name, clearTimeout.length, typeof clearImmediate(setImmediate(() => {})));
  Promise.reject(new RequestError('status 500')).then((r) => r);
}, 1);
`);
    const plain = run('node', [prog], { cwd: dir });
    const traced = record(['node', prog], { cwd: dir });
    assert.strictEqual(traced.status, plain.status, `exit status (stderr: ${traced.stderr})`);
    assert.strictEqual(traced.stdout, plain.stdout, 'stdout');
    assert.strictEqual(normalize(traced.stderr), normalize(plain.stderr), 'stderr');
    assert.match(plain.stderr, /RequestError: status 500/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
