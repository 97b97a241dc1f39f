// Puzzle 06 — inside an I/O callback, setImmediate always beats
// setTimeout(0): the check phase comes right after poll, timers only in the
// next iteration.  (At top level the order of the two is not defined.)
// Expected output:  read done, immediate, timeout
const fs = require('fs');
fs.readFile(__filename, () => {
  console.log('read done');
  setTimeout(() => console.log('timeout'), 0);
  setImmediate(() => console.log('immediate'));
});
