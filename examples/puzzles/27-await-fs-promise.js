// Puzzle 27 — awaiting I/O.  The read completes in an I/O callback, but the
// code after `await` is a promise reaction: it runs as a microtask (queued by
// that I/O callback and drained right after it), not as an I/O callback.
// Expected output:  reading, main done, after await
const fsp = require('fs/promises');
(async () => {
  console.log('reading');
  await fsp.readFile(__filename);
  console.log('after await');
})();
console.log('main done');
