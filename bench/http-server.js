'use strict';
// HTTP server for the overhead benchmark: every request does 10 sequential
// awaits (a mix of already-resolved async calls and a turn of the loop)
// before answering with a small JSON body.  Listens on 127.0.0.1; prints the
// port on stdout; exits cleanly on SIGINT/SIGTERM.
const http = require('http');

async function lookup(i) {
  return i * 2;
}
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

async function handle(req, res) {
  let acc = 0;
  for (let k = 0; k < 10; k++) {
    if (k % 3 === 0) await nextTurn();
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
