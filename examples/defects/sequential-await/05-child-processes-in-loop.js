'use strict';
// DEFECT (sequential-await): checkServices() runs a health-check command for
// each of six services, awaiting each child process before starting the next.
// Each check takes ~40 ms (simulated with `sleep 0.04`), so the function
// waits ~250 ms; started together they would take ~50 ms.
// Why it is a defect: the checks are independent; awaiting a child process
// inside the loop serialises them.
// Fix: await Promise.all(services.map((s) => execFileP('sh', ['-c', check(s)]))).
const { execFile } = require('child_process');
const { promisify } = require('util');
const execFileP = promisify(execFile);

const SERVICES = ['auth', 'billing', 'catalog', 'search', 'mail', 'reports'];

async function checkServices(services) {
  const up = [];
  for (const name of services) {
    const { stdout } = await execFileP('sh', ['-c', `sleep 0.04; echo ${name} ok`]);
    up.push(stdout.trim());
  }
  return up;
}

checkServices(SERVICES).then((up) => console.log(up.join(', ')));
