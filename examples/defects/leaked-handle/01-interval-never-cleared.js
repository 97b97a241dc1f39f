'use strict';
// DEFECT (leaked-handle): startMetrics() starts a setInterval that flushes
// counters every 500 ms, and nothing ever clears it. The program's real work
// (handling a batch of jobs) is over after a few milliseconds, but the
// interval is a ref'd timer, so Node never exits: this process runs until it
// is killed. (Record it with `looptrace record --duration 2`.)
// Why it is a defect: a handle still open at the end keeps the process alive.
// Fix: keep the timer and clearInterval() it when the work is done, or call
// .unref() on it if it must never hold the process open.

const counters = { jobs: 0, flushes: 0 };

function startMetrics() {
  setInterval(function flushMetrics() {
    counters.flushes++;
  }, 500);
}

function handleJobs(n) {
  for (let i = 0; i < n; i++) counters.jobs++;
  console.log(`handled ${counters.jobs} jobs`);
}

startMetrics();
setTimeout(() => handleJobs(10), 10);
