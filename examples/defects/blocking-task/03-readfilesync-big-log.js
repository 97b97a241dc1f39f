'use strict';
// DEFECT (blocking-task): a timer callback reads a 64 MB log file with
// fs.readFileSync and counts its lines. The read and the scan both happen
// synchronously on the main thread, holding the loop for ~200 ms.
// Why it is a defect: fs.readFileSync of a big file inside a callback blocks
// every other callback until the whole file is in memory.
// Fix: stream it (fs.createReadStream + count newlines per chunk) or use
// fs.promises.readFile, so the loop stays free while the data arrives.
const fs = require('fs');
const os = require('os');
const path = require('path');

const file = path.join(os.tmpdir(), `looptrace-big-${process.pid}.log`);
const line = '2024-01-01T00:00:00Z INFO request handled in 12ms path=/api/items\n';
const chunk = Buffer.from(line.repeat(Math.floor((1 << 20) / line.length)));

// Set-up, not the defect: write the file asynchronously, 1 MB at a time.
const out = fs.createWriteStream(file);
for (let i = 0; i < 64; i++) out.write(chunk);
out.end();
out.on('finish', function written() {
  setTimeout(function summarizeLog() {
    const data = fs.readFileSync(file);
    let lines = 0;
    for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) lines++;
    console.log(`log lines: ${lines}`);
    fs.unlinkSync(file);
  }, 10);
});
