// Puzzle 05 — a promise reaction scheduled from a nextTick waits until the
// nextTick queue is empty.
// Expected output:  tick 1, tick 2, promise from tick 1
process.nextTick(() => {
  console.log('tick 1');
  Promise.resolve().then(() => console.log('promise from tick 1'));
});
process.nextTick(() => console.log('tick 2'));
