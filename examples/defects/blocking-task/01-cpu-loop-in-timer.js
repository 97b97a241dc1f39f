'use strict';
// DEFECT (blocking-task): a timer callback counts primes below 1,500,000 with
// a plain synchronous loop. It runs for ~200 ms, and for all that
// time the event loop serves nothing else: no I/O, no other timers, no
// requests.
// Why it is a defect: a single dispatch holds the loop far longer than 50 ms.
// Fix: run the computation in a worker_threads Worker, or cut it into chunks
// of a few milliseconds and yield between chunks with setImmediate.

const LIMIT = 1500000;

setTimeout(function countPrimes() {
  let count = 0;
  for (let n = 2; n < LIMIT; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) { prime = false; break; }
    }
    if (prime) count++;
  }
  console.log(`primes below ${LIMIT}: ${count}`);
}, 10);
