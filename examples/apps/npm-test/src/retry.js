'use strict';
// Retries an async operation with a fixed backoff.
const { setTimeout: sleep } = require('node:timers/promises');
async function retry(operation, { attempts = 3, backoffMs = 5 } = {}) {
  let last;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await operation(attempt);
    } catch (err) {
      last = err;
      if (attempt < attempts) await sleep(backoffMs * attempt);
    }
  }
  throw last;
}
module.exports = { retry };
