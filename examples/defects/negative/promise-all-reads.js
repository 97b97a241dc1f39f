'use strict';
// NEGATIVE (looks like sequential-await, is not): the fix for
// sequential-await/01-read-files-in-loop.js. The eight shard reads are
// started together and awaited once with Promise.all, so they overlap on the
// libuv thread pool: one wait instead of eight in a row.
// Why it is fine: independent I/O is started concurrently.
const fsp = require('fs/promises');
const os = require('os');
const path = require('path');

async function loadAll(files) {
  const contents = await Promise.all(files.map((file) => fsp.readFile(file)));
  return contents.reduce((bytes, data) => bytes + data.length, 0);
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
