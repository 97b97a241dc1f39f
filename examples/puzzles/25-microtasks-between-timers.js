// Puzzle 25 — two timers due at the same time run in the same timers phase,
// but the microtasks and ticks queued by the first run before the second
// timer starts (Node >= 11; older Node ran them after the whole phase).
// Expected output:  timer A, tick from A, promise from A, timer B
setTimeout(() => {
  console.log('timer A');
  Promise.resolve().then(() => console.log('promise from A'));
  process.nextTick(() => console.log('tick from A'));
}, 0);
setTimeout(() => console.log('timer B'), 0);
