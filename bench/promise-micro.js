'use strict';
// Promise-heavy micro benchmark: N iterations of an async function that
// awaits 10 async calls.  Prints the elapsed milliseconds of the timed loop
// and the CPU milliseconds the process used meanwhile (all its threads: on a
// shared machine the run queue inflates the first, not the second).
const N = Number(process.argv[2] || 100000);

async function leaf(i) {
  return i + 1;
}

async function step(i) {
  let x = i;
  for (let k = 0; k < 10; k++) x = await leaf(x);
  return x;
}

async function main() {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let sum = 0;
  for (let i = 0; i < N; i++) sum += await step(i);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(c0);
  if (sum < 0) throw new Error('unreachable');
  process.stdout.write(`${ms.toFixed(1)} ${((cpu.user + cpu.system) / 1000).toFixed(1)}\n`);
}

main();
