// Puzzle 04 — a nextTick scheduled from a promise reaction waits until the
// microtask queue is empty: Node drains microtasks, then ticks again.
// Expected output:  promise A, promise B, tick from A
Promise.resolve().then(() => {
  console.log('promise A');
  process.nextTick(() => console.log('tick from A'));
});
Promise.resolve().then(() => console.log('promise B'));
