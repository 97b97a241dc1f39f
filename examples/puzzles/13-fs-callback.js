// Puzzle 13 — fs.readFile is not one operation: open, fstat, read and close
// each make a trip to the libuv threadpool, one loop iteration apiece, and
// only then does the callback run in the poll phase.  So even an immediate
// queued next to it (check phase of the very first iteration) wins.
// Expected output:  read started, tick, immediate, file read
const fs = require('fs');
fs.readFile(__filename, () => console.log('file read'));
setImmediate(() => console.log('immediate'));
process.nextTick(() => console.log('tick'));
console.log('read started');
