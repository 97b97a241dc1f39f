// Puzzle 02 — process.nextTick callbacks run before every microtask (promise
// reactions and queueMicrotask alike), whatever order they were scheduled in.
// Expected output:  sync, tick, microtask, promise
queueMicrotask(() => console.log('microtask'));
Promise.resolve().then(() => console.log('promise'));
process.nextTick(() => console.log('tick'));
console.log('sync');
