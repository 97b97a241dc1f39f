'use strict';
// NEGATIVE (looks like blocking-task, is not): the same password check as
// blocking-task/04 (400,000 rounds of PBKDF2) and a compression like
// blocking-task/05 (1 MB), but with the asynchronous crypto.pbkdf2 and zlib.gzip.
// The work runs on the libuv thread pool; the main thread only starts it and
// receives the result, so every dispatch is short.
// Why it is fine: heavy work off the main thread does not hold the loop.
const http = require('http');
const crypto = require('crypto');
const zlib = require('zlib');

const SALT = 'pepper-salt';
const STORED = Buffer.from('0f4c4cb5fef697d365417458a3528aac2680c404eff76b5f0251eb43c2898031', 'hex');

const server = http.createServer(function onLogin(req, res) {
  const password = String(req.headers['x-password'] || '');
  crypto.pbkdf2(password, SALT, 400000, 32, 'sha512', (err, hash) => {
    const ok = !err && crypto.timingSafeEqual(hash, STORED);
    res.writeHead(ok ? 200 : 403).end(ok ? 'welcome\n' : 'denied\n');
  });
});

server.listen(0, '127.0.0.1', function onListening() {
  const headers = { 'x-password': 'correct horse' };
  http.get({ host: '127.0.0.1', port: server.address().port, path: '/', headers, agent: false }, (res) => {
    res.resume();
    res.on('end', () => {
      console.log(`login: ${res.statusCode}`);
      server.close();
    });
  });
});

crypto.randomBytes(1 << 20, (err, upload) => {
  if (err) throw err;
  zlib.gzip(upload, (err2, gz) => {
    if (err2) throw err2;
    console.log(`archived ${upload.length} bytes (gzip ${gz.length > upload.length ? 'grew' : 'shrank'})`);
  });
});
