// Puzzle 02 — process.nextTick callbacks run before promise reactions,
// whatever order they were scheduled in.
// Expected output:  sync, tick, promise
Promise.resolve().then(() => console.log('promise'));
process.nextTick(() => console.log('tick'));
console.log('sync');
