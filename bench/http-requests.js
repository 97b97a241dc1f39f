'use strict';
// A fixed number of requests, for benchmarks that need a trace of a known
// size rather than a fixed time (bench/export.sh):
//   node bench/http-requests.js PORT TOTAL [CONCURRENCY]
// GETs http://127.0.0.1:PORT/ TOTAL times over CONCURRENCY keep-alive
// connections (default 16); prints "requests N errors E seconds S".
const http = require('node:http');
const [port, total, concurrency = 16] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
let sent = 0, done = 0, errors = 0;
const t0 = process.hrtime.bigint();

function one() {
  if (sent >= total) return;
  sent++;
  const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
    if (res.statusCode !== 200) errors++;
    res.resume();
    res.on('end', next);
  });
  req.on('error', () => { errors++; next(); });
}

function next() {
  done++;
  if (done === total) {
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`requests ${done} errors ${errors} seconds ${s.toFixed(1)}`);
    agent.destroy();
    return;
  }
  one();
}

for (let i = 0; i < Math.min(concurrency, total); i++) one();
