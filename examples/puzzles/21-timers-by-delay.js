// Puzzle 21 — timers fire in order of their due time, not of creation.
// Expected output:  1 ms, 10 ms, 30 ms
setTimeout(() => console.log('30 ms'), 30);
setTimeout(() => console.log('1 ms'), 1);
setTimeout(() => console.log('10 ms'), 10);
