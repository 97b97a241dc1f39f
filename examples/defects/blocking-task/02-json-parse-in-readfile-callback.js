'use strict';
// DEFECT (blocking-task): an fs.readFile callback (an io dispatch) parses a
// 9 MB JSON catalogue with JSON.parse. Reading was asynchronous, but decoding
// and parsing the whole text happens in one go on the main thread: ~150 ms
// during which the loop is stuck.
// Why it is a defect: the io callback holds the loop for more than 50 ms.
// Fix: keep such documents small (paginate), parse them in a Worker, or use a
// streaming JSON parser that yields between chunks.
const fs = require('fs');
const os = require('os');
const path = require('path');

const file = path.join(os.tmpdir(), `looptrace-catalog-${process.pid}.json`);
const item = '{"id":1234,"name":"widget","tags":["a","b","c"],"price":12.5},';
const chunk = Buffer.from(item.repeat(1000));

// Set-up, not the defect: write the file asynchronously, 63 kB at a time.
const out = fs.createWriteStream(file);
out.write('[');
for (let i = 0; i < 150; i++) out.write(chunk);
out.end('{"id":0}]');
out.on('finish', function written() {
  fs.readFile(file, 'utf8', function onCatalog(err, json) {
    if (err) throw err;
    const items = JSON.parse(json);
    console.log(`catalogue: ${items.length} items`);
    fs.unlink(file, () => {});
  });
});
