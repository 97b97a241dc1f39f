'use strict';
// NEGATIVE (looks like leaked-handle, is not): the same metrics interval as
// leaked-handle/01, and three pollers like leaked-handle/06, but every timer
// is cleared once the work is done, so nothing is left open and the process
// exits by itself (exit status 0).
// Why it is fine: all handles are closed before the end.

const counters = { jobs: 0, flushes: 0 };

const metrics = setInterval(function flushMetrics() {
  counters.flushes++;
}, 20);

const pollers = ['inbox', 'queue', 'config'].map((name) => {
  const poller = { name, polls: 0 };
  poller.timer = setInterval(() => { poller.polls++; }, 15);
  return poller;
});

setTimeout(function finish() {
  for (let i = 0; i < 10; i++) counters.jobs++;
  clearInterval(metrics);
  for (const p of pollers) clearInterval(p.timer);
  console.log(`handled ${counters.jobs} jobs`);
}, 100);
