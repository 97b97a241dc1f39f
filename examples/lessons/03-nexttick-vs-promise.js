// process.nextTick, promise jobs and timers
setTimeout(() => console.log('setTimeout 0'), 0);
Promise.resolve().then(() => console.log('promise then'));
process.nextTick(() => console.log('nextTick'));
queueMicrotask(() => console.log('queueMicrotask'));
console.log('script');
