'use strict';
// NEGATIVE (looks like leaked-handle, is not): a metrics interval and a local
// HTTP server are both left open at the end, but both were unref'd: they do
// not keep the process alive, so it exits by itself once its real work (one
// request) is done. Exit status 0. At most an `info` note.
// Why it is fine: unref() says "this handle must not hold the process open".
const http = require('http');

let flushes = 0;
setInterval(() => { flushes++; }, 50).unref();

const server = http.createServer((req, res) => res.end('pong\n'));
server.listen(0, '127.0.0.1', () => {
  http.get({ host: '127.0.0.1', port: server.address().port, path: '/', agent: false }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (body) => process.stdout.write(`server said: ${body}`));
  });
});
server.unref();
