'use strict';
// The service the client talks to: a plain node:http server on a loopback
// port, started by client.js as a child process.  Every answer takes 15 ms
// (a real service's latency); /users/N answers for N < 40, anything else is
// a 404; /export is a big JSON document.  It tells its parent the port, and
// closes when the parent says so or goes away.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const GENERATED = path.join(__dirname, '..', 'generated');

function sendFile(res, file) {
  res.setHeader('content-type', 'application/json');
  fs.createReadStream(path.join(GENERATED, file)).pipe(res);
}

const server = http.createServer((req, res) => {
  setTimeout(() => {
    const user = /^\/users\/(\d+)$/.exec(req.url);
    if (user && Number(user[1]) < 40) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: Number(user[1]), name: `user-${user[1]}`, plan: user[1] % 2 ? 'pro' : 'free' }));
    } else if (req.url === '/catalog') {
      sendFile(res, 'catalog.json');
    } else if (req.url === '/catalog/page/1') {
      sendFile(res, 'catalog-page-1.json');
    } else {
      res.statusCode = 404;
      res.end('{"error":"not found"}');
    }
  }, 15);
});

function shutdown() {
  server.close();
  server.closeAllConnections();
  process.disconnect();
}

server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (msg) => { if (msg === 'close') shutdown(); });
process.on('disconnect', () => { server.close(); server.closeAllConnections(); });
