'use strict';
// DEFECT (blocking-task): the main script itself (the first dispatch of every
// program) builds a cache of 300,000 records and serialises it with
// JSON.stringify before it schedules any work. Nothing else can run until the
// script returns, ~250 ms later.
// Why it is a defect: the main-script dispatch holds the loop for more than
// 50 ms; a server started here would accept no connection meanwhile.
// Fix: build the cache lazily or incrementally (in chunks with setImmediate),
// or in a Worker, and write it with a stream.
// Location: the main script is not a callback and looptrace records no
// location for it, so the expected finding has line null and function null
// (the file only).
const fs = require('fs');
const os = require('os');
const path = require('path');

const file = path.join(os.tmpdir(), `looptrace-cache-${process.pid}.json`);
const records = [];
for (let i = 0; i < 300000; i++) records.push({ id: i, sku: `SKU-${i}`, stock: i % 17, tags: ['x', 'y'] });
const json = JSON.stringify(records);

fs.writeFile(file, json, function written(err) {
  if (err) throw err;
  console.log(`cache written: ${records.length} records`);
  fs.unlink(file, () => {});
});
