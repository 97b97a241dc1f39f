// Puzzle 13 — a file read completes in the poll phase, after everything
// queued by the main module.
// Expected output:  read started, tick, timeout, file read
const fs = require('fs');
fs.readFile(__filename, () => console.log('file read'));
setTimeout(() => console.log('timeout'), 0);
process.nextTick(() => console.log('tick'));
console.log('read started');
