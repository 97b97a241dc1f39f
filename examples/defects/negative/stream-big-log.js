'use strict';
// NEGATIVE (looks like blocking-task, is not): counts the lines of the same
// 64 MB log as blocking-task/03-readfilesync-big-log.js, but streams it with
// fs.createReadStream in 256 kB chunks. Each 'data' callback scans one chunk
// (well under a few ms), and the loop is free between chunks.
// Why it is fine: the big file never passes through one long dispatch.
const fs = require('fs');
const os = require('os');
const path = require('path');

const file = path.join(os.tmpdir(), `looptrace-stream-${process.pid}.log`);
const line = '2024-01-01T00:00:00Z INFO request handled in 12ms path=/api/items\n';
const chunk = Buffer.from(line.repeat(Math.floor((1 << 20) / line.length)));

const out = fs.createWriteStream(file);
for (let i = 0; i < 64; i++) out.write(chunk);
out.end();
out.on('finish', function written() {
  let lines = 0;
  fs.createReadStream(file, { highWaterMark: 256 << 10 })
    .on('data', function countLines(data) {
      for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) lines++;
    })
    .on('end', () => {
      console.log(`log lines: ${lines}`);
      fs.unlinkSync(file);
    });
});
