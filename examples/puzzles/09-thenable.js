// Puzzle 09 — awaiting a thenable (any object with a then method) queues a
// microtask that calls its then(); the function resumes one more microtask
// later, after then() resolved it — two turns where a native promise needs one.
// Surprise: then() is not called synchronously by `await`.
// Expected output:  sync, then() called, native resumed, thenable resumed
const thenable = {
  then(resolve) {
    console.log('then() called');
    resolve('thenable resumed');
  },
};
(async () => console.log(await thenable))();
(async () => { await null; console.log('native resumed'); })();
console.log('sync');
