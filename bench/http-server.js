'use strict';
// HTTP server for the overhead benchmark: every request does 10 sequential
// awaits before answering with a small JSON body: TURNS of them (default 4)
// wait for a turn of the loop (setImmediate), the rest await an async
// function.  Listens on 127.0.0.1; prints the port on stdout; exits cleanly
// on SIGINT/SIGTERM.
const http = require('http');

async function lookup(i) {
  return i * 2;
}
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const TURNS = Number(process.env.TURNS ?? 4);

async function handle(req, res) {
  let acc = 0;
  for (let k = 0; k < 10; k++) {
    if (k < TURNS) await nextTurn();
    else acc += await lookup(k);
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: true, acc }));
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    res.statusCode = 500;
    res.end(String(err));
  });
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(server.address().port);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
