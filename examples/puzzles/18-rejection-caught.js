// Puzzle 18 — a rejection handled by .catch: the handler is a microtask,
// and the chain continues after it.
// Expected output:  sync, caught boom, after catch
Promise.reject(new Error('boom'))
  .catch((e) => console.log('caught', e.message))
  .then(() => console.log('after catch'));
console.log('sync');
