// Puzzle 23 — microtasks and ticks queued by an immediate run right after
// it, before the next immediate.
// Expected output:  immediate 1, tick, promise, immediate 2
setImmediate(() => {
  console.log('immediate 1');
  Promise.resolve().then(() => console.log('promise'));
  process.nextTick(() => console.log('tick'));
});
setImmediate(() => console.log('immediate 2'));
