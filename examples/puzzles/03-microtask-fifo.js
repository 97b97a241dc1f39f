// Puzzle 03 — promise reactions and queueMicrotask share one FIFO queue.
// Expected output:  then 1, microtask 1, then 2, microtask 2
Promise.resolve().then(() => console.log('then 1'));
queueMicrotask(() => console.log('microtask 1'));
Promise.resolve().then(() => console.log('then 2'));
queueMicrotask(() => console.log('microtask 2'));
