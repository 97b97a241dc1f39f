// Puzzle 07 — two async functions interleave at every await: each await
// yields to the microtask queue.
// Expected output:  a1, b1, sync end, a2, b2, a3, b3
async function a() { console.log('a1'); await null; console.log('a2'); await null; console.log('a3'); }
async function b() { console.log('b1'); await null; console.log('b2'); await null; console.log('b3'); }
a();
b();
console.log('sync end');
