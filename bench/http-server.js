'use strict';
// HTTP server for the overhead benchmark.  Every request does 10 sequential
// awaits of small async operations, then answers with a small JSON body:
// TURNS of them (env, default 4) wait for a turn of the event loop
// (`await new Promise(r => setImmediate(r))`), the others await an async
// function that resolves at once.
//
//   node bench/http-server.js [PORT]
//
// Listens on 127.0.0.1 only; PORT 0 or none picks a free port.  The first
// line on stdout is the port.  SIGINT/SIGTERM close the server (idle
// keep-alive connections included) and exit 0; a second signal, or 5 s
// without the close completing, exits at once.
const http = require('http');

const TURNS = Number(process.env.TURNS ?? 4);
const port = Number(process.argv[2] || 0);
if (!Number.isInteger(port) || port < 0 || port > 65535 || !(TURNS >= 0 && TURNS <= 10)) {
  console.error('usage: [TURNS=0..10] node http-server.js [PORT]');
  process.exit(2);
}

async function lookup(i) {
  return i * 2;
}
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

async function handle(req, res) {
  let acc = 0;
  for (let k = 0; k < 10; k++) {
    // spread the loop turns over the request instead of bunching them up
    if ((k * TURNS) % 10 < TURNS) await nextTurn();
    else acc += await lookup(k);
  }
  const body = JSON.stringify({ ok: true, url: req.url, acc });
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    res.statusCode = 500;
    res.end(String(err));
  });
});
server.on('error', (err) => {
  console.error(`http-server: ${err.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});

let stopping = false;
function stop() {
  if (stopping) process.exit(0);
  stopping = true;
  setTimeout(() => process.exit(0), 5000).unref();
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
