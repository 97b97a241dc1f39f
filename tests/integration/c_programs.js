'use strict';
// Helpers of the tests that build and trace C programs (libuv.test.js,
// libuv-attach.test.js): examples/c and programs written by a test, built
// with cc -g against the shared libuv and probes/looptrace.h.
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { SOURCE_DIR, looptrace, run, tmpdir } = require('./lib');

const EXAMPLES = path.join(SOURCE_DIR, 'examples/c');
const PROBES = path.join(SOURCE_DIR, 'probes');

function compile(src, out, flags, libs) {
  const r = run('cc', ['-g', ...flags, '-I', PROBES, '-o', out, src, ...libs]);
  assert.strictEqual(r.status, 0, `cc ${path.basename(src)} (libuv1-dev, systemtap-sdt-dev: scripts/setup.sh): ${r.stderr}`);
  return out;
}

// examples/c/NAME.c built into the test's directory (-O0 unless flags say).
function buildExample(name, { flags = ['-O0'], libs = ['-luv'] } = {}) {
  return compile(path.join(EXAMPLES, `${name}.c`), path.join(tmpdir(), name), flags, libs);
}

// A program written by the test (-O1: an optimised build without frame
// pointers); returns its binary and source paths.
function buildSource(name, source, libs = []) {
  const src = path.join(tmpdir(), `${name}.c`);
  fs.writeFileSync(src, source);
  return { out: compile(src, path.join(tmpdir(), name), ['-O1'], libs), src };
}

// The 1-based line of the first line of examples/c/FILE holding `text`.
function lineOf(file, text) {
  const lines = fs.readFileSync(path.join(EXAMPLES, file), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `${text} in ${file}`);
  return i + 1;
}

function report(db) {
  const r = looptrace(['report', '--format', 'json', db]);
  assert.strictEqual(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const loud = (findings) => findings.filter((f) => f.severity !== 'info');

module.exports = { EXAMPLES, buildExample, buildSource, lineOf, report, loud };
