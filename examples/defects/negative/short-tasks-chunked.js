'use strict';
// NEGATIVE (looks like blocking-task, is not): counts primes below 200,000 -
// about 15 ms of CPU in total - but in slices of 2,000 numbers, yielding to
// the event loop with setImmediate after each slice. No single dispatch runs
// for more than a fraction of a millisecond, so I/O and timers are served
// between slices.
// Why it is fine: the loop is never held for long; this is the fix for
// blocking-task/01-cpu-loop-in-timer.js.

const LIMIT = 200000;
const SLICE = 2000;
let count = 0;

function isPrime(n) {
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return n >= 2;
}

setImmediate(function countSlice(from) {
  const to = Math.min(from + SLICE, LIMIT);
  for (let n = from; n < to; n++) if (isPrime(n)) count++;
  if (to < LIMIT) setImmediate(countSlice, to);
  else console.log(`primes below ${LIMIT}: ${count}`);
}, 2);
