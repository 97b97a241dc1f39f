'use strict';
// Runs async jobs with at most `limit` of them at a time.
function createQueue(limit) {
  let active = 0;
  const waiting = [];
  const next = () => {
    if (active >= limit || waiting.length === 0) return;
    const { job, resolve, reject } = waiting.shift();
    active++;
    job().then(resolve, reject).finally(() => { active--; next(); });
  };
  return {
    push(job) {
      return new Promise((resolve, reject) => { waiting.push({ job, resolve, reject }); next(); });
    },
    get active() { return active; },
  };
}
module.exports = { createQueue };
