// Puzzle 10 — for await over an async generator.  Surprise: the generator's
// body starts synchronously, inside the loop's first next() call; but every
// value reaches the loop body from a microtask (a yield in an async generator
// awaits its value, and the loop awaits next()).  The side promise was queued
// before the loop, so it runs even before the first value arrives.
// Expected output:  loop starts, generator starts, main done, side promise, got 1, got 2, got 3
async function* numbers() {
  console.log('generator starts');
  yield 1;
  yield 2;
  yield 3;
}
(async () => {
  console.log('loop starts');
  Promise.resolve().then(() => console.log('side promise'));
  for await (const n of numbers()) console.log('got', n);
})();
console.log('main done');
