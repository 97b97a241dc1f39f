// Cancelling with AbortController, and timeouts
const { setTimeout: sleep } = require('node:timers/promises');
const controller = new AbortController();
sleep(200, 'never', { signal: controller.signal })
  .then((v) => console.log('sleep finished: ' + v))
  .catch((e) => console.log('sleep cancelled: ' + e.name));
setTimeout(() => {
  console.log('aborting');
  controller.abort();
}, 40);
function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error('timed out')), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
withTimeout(sleep(300, 'slow job'), 100).then(console.log, (e) => console.log('withTimeout: ' + e.message));
withTimeout(sleep(5, 'quick job'), 150).then((v) => console.log('withTimeout: ' + v));
console.log('started');
