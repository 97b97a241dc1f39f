'use strict';
// DEFECT (sequential-await): loadAll() reads eight independent 8 MB shard
// files with `await fs.promises.readFile` inside a for loop. Each read starts
// only when the previous one has finished, so the reads (done on the libuv
// thread pool, which has 4 threads) never overlap.
// Why it is a defect: the reads do not depend on each other; the function
// waits for the sum of eight reads instead of roughly the longest one.
// Fix: start them together: await Promise.all(files.map((f) => fsp.readFile(f)))
// (see negative/promise-all-reads.js).
const fsp = require('fs/promises');
const os = require('os');
const path = require('path');

async function loadAll(files) {
  let bytes = 0;
  for (const file of files) {
    const data = await fsp.readFile(file);
    bytes += data.length;
  }
  return bytes;
}

async function main() {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'looptrace-shards-'));
  try {
    const files = Array.from({ length: 8 }, (_, i) => path.join(dir, `shard-${i}.log`));
    const blob = Buffer.alloc(8 << 20); // 8 MB of zeros: the content does not matter
    await Promise.all(files.map((f) => fsp.writeFile(f, blob)));
    console.log(`read ${await loadAll(files)} bytes`);
  } finally {
    await fsp.rm(dir, { recursive: true });
  }
}

main();
