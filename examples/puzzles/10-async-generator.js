// Puzzle 10 — for await over an async generator: every step is a microtask,
// so a promise scheduled before the loop interleaves with it.
// The side promise was queued first, so it runs before the first step.
// Expected output:  loop starts, side promise, got 1, got 2, got 3
async function* numbers() {
  yield 1;
  yield 2;
  yield 3;
}
(async () => {
  console.log('loop starts');
  Promise.resolve().then(() => console.log('side promise'));
  for await (const n of numbers()) console.log('got', n);
})();
