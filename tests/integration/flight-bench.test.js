'use strict';
// bench/flight.sh, shortened: the fastify app of examples/apps under
// `record --ring 64M --trigger-lag 200ms` and wrk for 20 s, with its planted
// 300 ms spike at 10 s: a dump holds the spike at its line, and the
// recorder's memory stays within the ring's size.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { LOOPTRACE, SOURCE_DIR, run } = require('./lib');

test('bench/flight.sh 0.34 fastify: the planted spike is dumped and placed; memory bounded', (t) => {
  if (spawnSync('sh', ['-c', 'command -v wrk && command -v sqlite3']).status !== 0) {
    return t.skip('wrk and sqlite3 are needed (scripts/setup.sh installs them)');
  }
  if (!fs.existsSync(path.join(SOURCE_DIR, 'examples/apps/node_modules/fastify'))) {
    return t.skip('examples/apps/node_modules is missing (scripts/setup.sh runs npm ci there)');
  }
  const r = run('bash', [path.join(SOURCE_DIR, 'bench/flight.sh'), '0.34', 'fastify', '64M'],
    { env: { ...process.env, LOOPTRACE }, timeout: 300000 });
  assert.strictEqual(r.status, 0, r.stderr + r.stdout);
  // A service's spike is a warning (the dump keeps the listening socket
  // made before its window: it is no batch run).
  assert.match(r.stdout, /the planted spike: flight-\d+\.db \((lag|exit) dump\): (warning|error): blocked the event loop for \d+ ms in plantedSpike, called from \S*bench\/flight-app\.js:\d+/,
    r.stdout);
  const peak = Number(/recorder RssAnon peak ([\d.]+) MiB/.exec(r.stdout)[1]);
  assert.ok(peak > 0 && peak < 64 + 32, `recorder RssAnon peaked at ${peak} MiB with a 64 MiB ring`);
});
