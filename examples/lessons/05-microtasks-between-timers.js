// Microtasks drain between two timers that are due together
setTimeout(() => {
  console.log('timer 1');
  Promise.resolve().then(() => console.log('promise from timer 1'));
  process.nextTick(() => console.log('tick from timer 1'));
}, 5);
setTimeout(() => {
  console.log('timer 2');
}, 5);
