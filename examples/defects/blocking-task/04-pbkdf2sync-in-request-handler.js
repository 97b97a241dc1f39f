'use strict';
// DEFECT (blocking-task): an HTTP request handler checks a password with
// crypto.pbkdf2Sync (400,000 rounds of SHA-512, ~170 ms). While one login is
// being hashed the server cannot accept, read or answer any other request.
// Why it is a defect: the request handler holds the loop for more than 50 ms.
// Fix: use the asynchronous crypto.pbkdf2 (or scrypt), which hashes on the
// libuv thread pool and leaves the loop free.
const http = require('http');
const crypto = require('crypto');

const SALT = 'pepper-salt';
const STORED = Buffer.from('0f4c4cb5fef697d365417458a3528aac2680c404eff76b5f0251eb43c2898031', 'hex');

const server = http.createServer(function onLogin(req, res) {
  const password = String(req.headers['x-password'] || '');
  const hash = crypto.pbkdf2Sync(password, SALT, 400000, 32, 'sha512');
  const ok = crypto.timingSafeEqual(hash, STORED);
  res.writeHead(ok ? 200 : 403).end(ok ? 'welcome\n' : 'denied\n');
});

server.listen(0, '127.0.0.1', function onListening() {
  const { port } = server.address();
  const headers = { 'x-password': 'correct horse' };
  http.get({ host: '127.0.0.1', port, path: '/login', headers, agent: false }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (body) => process.stdout.write(`login: ${res.statusCode} ${body}`));
    res.on('end', () => server.close());
  });
});
