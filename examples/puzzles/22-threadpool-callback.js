// Puzzle 22 — crypto.randomBytes runs on the libuv threadpool; its callback
// comes back through the poll phase like any I/O.
// Expected output:  requested, tick, got 16 bytes
const crypto = require('crypto');
crypto.randomBytes(16, (err, buf) => console.log('got', buf.length, 'bytes'));
process.nextTick(() => console.log('tick'));
console.log('requested');
