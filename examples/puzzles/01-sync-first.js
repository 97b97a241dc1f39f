// Puzzle 01 — synchronous code runs to completion before any callback.
// Expected output:  start, end, timeout
setTimeout(() => console.log('timeout'), 0);
console.log('start');
for (let i = 0; i < 1e6; i++); // even a busy main module is not interrupted
console.log('end');
