// Puzzle 26 — an async function that returns a promise settles two microtask
// turns later than one that returns a plain value: its result promise has to
// adopt the returned promise (a job that calls its then(), then the reaction).
// The p1, p2, p3 chain counts the turns.
// Expected output:  sync, plain value, p1, p2, returned promise, p3
async function plainValue() { return 'x'; }
async function returnsPromise() { return Promise.resolve('y'); }
returnsPromise().then(() => console.log('returned promise'));
plainValue().then(() => console.log('plain value'));
Promise.resolve()
  .then(() => console.log('p1'))
  .then(() => console.log('p2'))
  .then(() => console.log('p3'));
console.log('sync');
