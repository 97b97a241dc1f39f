// Puzzle 08 — awaiting a plain value still suspends the function until the
// microtask queue gets to it.
// Expected output:  before await, after call, after await 42
async function f() {
  console.log('before await');
  const v = await 42;
  console.log('after await', v);
}
f();
console.log('after call');
