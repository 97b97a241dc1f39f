'use strict';
// bench/flight.sh, shortened: the fastify app of examples/apps under
// `record --ring 64M --trigger-lag 200ms` (and, as root, running plain with
// `attach --ring` left on it) and wrk for 20 s, with its planted 300 ms
// spike at 10 s: a dump holds the spike at its line, and the recorder's
// memory stays within the ring's size.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { LOOPTRACE, SOURCE_DIR, run, tmpdir } = require('./lib');

function needs(t) {
  if (spawnSync('sh', ['-c', 'command -v wrk && command -v sqlite3']).status !== 0) {
    t.skip('wrk and sqlite3 are needed (scripts/setup.sh installs them)');
    return false;
  }
  if (!fs.existsSync(path.join(SOURCE_DIR, 'examples/apps/node_modules/fastify'))) {
    t.skip('examples/apps/node_modules is missing (scripts/setup.sh runs npm ci there)');
    return false;
  }
  return true;
}

// Runs bench/flight.sh for 20 s and checks what it printed.
function flightBench(env) {
  const r = run('bash', [path.join(SOURCE_DIR, 'bench/flight.sh'), '0.34', 'fastify', '64M'],
    { env: { ...process.env, LOOPTRACE, ...env }, timeout: 300000 });
  assert.strictEqual(r.status, 0, r.stderr + r.stdout);
  // A service's spike is a warning (the dump keeps the listening socket
  // made before its window: it is no batch run).
  const spike = /the planted spike: flight-\d+\.db \((lag|exit) dump\): (warning|error): blocked the event loop for (\d+) ms, at (\S*bench\/flight-app\.js):(\d+) \((.*)\)$/m.exec(r.stdout);
  assert.ok(spike, r.stdout);
  assert.ok(Number(spike[3]) >= 250, `the spike lasted ${spike[3]} ms`);
  assert.match(spike[6], /plantedSpike/);
  // at the user's line: where the app's hook calls plantedSpike (record),
  // or the function the samples were in (attach)
  const line = fs.readFileSync(path.join(SOURCE_DIR, 'bench/flight-app.js'), 'utf8').split('\n')[Number(spike[5]) - 1];
  assert.match(line, /plantedSpike|the planted lag spike/, `line ${spike[5]}: ${line}`);
  const peak = Number(/recorder RssAnon peak ([\d.]+) MiB/.exec(r.stdout)[1]);
  assert.ok(peak > 0 && peak < 64 + 32, `recorder RssAnon peaked at ${peak} MiB with a 64 MiB ring`);
  return r;
}

test('bench/flight.sh 0.34 fastify: the planted spike is dumped and placed; memory bounded', (t) => {
  if (needs(t)) flightBench({});
});

test('ATTACH=1 bench/flight.sh 0.34 fastify: attach --ring dumps the spike of a running service', (t) => {
  if (!needs(t)) return;
  if (process.getuid() !== 0) return t.skip('attach needs root (CAP_BPF, CAP_PERFMON)');
  // can this machine load the probes? (a short-lived node process)
  const probe = run('sh', ['-c', `"${process.execPath}" -e "setInterval(() => {}, 50)" & pid=$!; sleep 0.3; ` +
    `"${LOOPTRACE}" attach -q -p $pid --duration 0.2 -o "${path.join(tmpdir(), 'probe.db')}"; rc=$?; kill $pid; exit $rc`]);
  if (/eBPF|BTF|CAP_BPF|built without/.test(probe.stderr)) return t.skip(`eBPF unavailable: ${probe.stderr.trim()}`);
  const r = flightBench({ ATTACH: '1' });
  assert.match(r.stdout, /fastify under looptrace attach --ring 64M/);
});
