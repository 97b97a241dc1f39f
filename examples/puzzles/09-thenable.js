// Puzzle 09 — awaiting a thenable queues a job that calls its then(); the
// function resumes only after then() resolves — two steps where a native
// promise needs one.  (V8 runs that job without a promise hook: looptrace
// shows it as an 'unhooked' microtask.)
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
