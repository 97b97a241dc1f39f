'use strict';
// DEFECT (blocking-task): after fetching a batch of rows, a promise
// continuation "throttles" itself with a synchronous busy-wait of 150 ms
// (a sleep written as a spin loop). The microtask runs to completion before
// anything else can happen, so the whole process stalls.
// Why it is a defect: the microtask dispatch holds the loop for more than
// 50 ms while doing no useful work.
// Fix: wait asynchronously: await new Promise((r) => setTimeout(r, 150)), or
// timers/promises setTimeout.

function fetchRows() {
  return new Promise((resolve) => setTimeout(() => resolve([1, 2, 3, 4, 5]), 10));
}

fetchRows().then(function throttleThenSum(rows) {
  const until = Date.now() + 150;
  while (Date.now() < until) { /* spin: "be gentle with the database" */ }
  console.log(`sum: ${rows.reduce((a, b) => a + b, 0)}`);
});
