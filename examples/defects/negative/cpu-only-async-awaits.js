'use strict';
// NEGATIVE (looks like sequential-await, is not): digestAll() awaits an async
// function in a for loop, eight times, but checksum() is CPU-only: it hashes
// a 1 MB buffer synchronously (a few ms) and returns an already-settled
// promise. The awaits wait for nothing; running the calls "together" with
// Promise.all would do the same CPU work on the same single thread in the
// same time.
// Why it is fine: there is no I/O to overlap, so no time to save.
const crypto = require('crypto');

async function checksum(buf, round) {
  return crypto.createHash('sha256').update(buf).update(String(round)).digest('hex').slice(0, 8);
}

async function digestAll(buf) {
  const digests = [];
  for (let round = 0; round < 8; round++) {
    digests.push(await checksum(buf, round));
  }
  return digests;
}

digestAll(Buffer.alloc(1 << 20)).then((d) => console.log(`digests: ${d.join(' ')}`));
