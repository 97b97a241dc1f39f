'use strict';
// Shared helpers for the integration tests: run the real looptrace binary on
// real node programs and read the real trace database.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const LOOPTRACE = process.env.LOOPTRACE || path.resolve(__dirname, '../../build/looptrace');
const SOURCE_DIR = process.env.LOOPTRACE_SOURCE_DIR || path.resolve(__dirname, '../..');
const FIXTURES = path.join(SOURCE_DIR, 'tests/fixtures');
const PUZZLES = path.join(SOURCE_DIR, 'examples/puzzles');
// The node that runs the traced programs (tests/CMakeLists.txt registers the
// corpus tests once per installed Node version); the tests themselves run
// under whichever node started them.
const TEST_NODE = process.env.LOOPTRACE_TEST_NODE || 'node';

// An environment whose PATH finds TEST_NODE first as `node` (for programs
// that start `node` by name: npm scripts, shebangs).
function testNodeEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  // Set by the test runner running this file: a traced `node --test` would
  // take itself for a child of it and run nothing.
  delete env.NODE_TEST_CONTEXT;
  if (TEST_NODE.includes('/')) env.PATH = `${path.dirname(path.resolve(TEST_NODE))}:${env.PATH || ''}`;
  return env;
}

const made = [];
function tmpdir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'looptrace-it-'));
  made.push(dir);
  return dir;
}
process.on('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120000, maxBuffer: 256 << 20, ...opts });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function looptrace(args, opts) {
  return run(LOOPTRACE, args, opts);
}

// Record `args` (a node command line) into a fresh trace; returns the run
// result plus the trace path.
function record(args, { extra = [], cwd, env } = {}) {
  const dir = tmpdir();
  const db = path.join(dir, 'trace.db');
  const r = looptrace(['record', '-q', '-o', db, ...extra, '--', ...args], { cwd, env });
  return { ...r, db, dir };
}

function replayJson(db) {
  const r = looptrace(['replay', '--format', 'json', db]);
  if (r.status !== 0) throw new Error(`replay failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function sql(db, query) {
  const r = run('sqlite3', ['-json', db, query]);
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}

// Node prints its own pid in warnings: "(node:1234)".
function normalize(text) {
  return text.replace(/\(node:\d+\)/g, '(node:PID)');
}

// Lines of stdout in replay order, each with the queue of the dispatch that
// wrote it.
function outputLines(replay, fd = 1) {
  const lines = [];
  for (const d of replay.dispatches) {
    d.output.forEach((text, k) => {
      if (d.output_fd[k] !== fd) return;
      const parts = text.split('\n');
      if (parts[parts.length - 1] === '') parts.pop();
      for (const line of parts) lines.push({ queue: d.queue, line, seq: d.seq, pid: d.pid });
    });
  }
  return lines;
}

module.exports = {
  LOOPTRACE, SOURCE_DIR, FIXTURES, PUZZLES, TEST_NODE, testNodeEnv, tmpdir, run, looptrace, record, replayJson, sql,
  normalize, outputLines,
};
