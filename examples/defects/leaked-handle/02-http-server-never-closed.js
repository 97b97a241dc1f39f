'use strict';
// DEFECT (leaked-handle): a script starts a local HTTP server, makes the one
// request it needed, prints the answer, and forgets server.close(). The
// listening socket stays open, so the process never exits. (Record it with
// `looptrace record --duration 2`.)
// Why it is a defect: an open server handle keeps the process alive after
// its work is done.
// Fix: server.close() once the last request is answered (or server.unref()
// for a server that must not hold the process open).
const http = require('http');

function answer(req, res) {
  res.end('pong\n');
}

const server = http.createServer(answer).listen(0, '127.0.0.1', function ping() {
  const { port } = server.address();
  http.get({ host: '127.0.0.1', port, path: '/ping', agent: false }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (body) => process.stdout.write(`server said: ${body}`));
  });
});
