'use strict';
// Independent awaited operations, done one after another (MODE=serial) or
// four at a time (MODE=parallel), for bench/await-savings.sh: it compares
// what looptrace's sequential-await finding says overlapping would save
// with what it does save, untraced.
//   KIND=timer  N waits of 20 ms (a remote call of fixed latency)
//   KIND=http   N requests to a local server that answers after 15 ms
//   KIND=fs     N reads of 4 MB files (the libuv thread pool)
//   KIND=child  N child processes (`node -e` that exits at once)
// Prints {"ms": <time of the loop>} on stdout.
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { setTimeout: sleep } = require('node:timers/promises');

const mode = process.env.MODE || 'serial';
const kind = process.env.KIND || 'timer';
const n = Number(process.env.N || 16);
const LANES = 4;

async function runAll(op) {
  const t0 = performance.now();
  if (mode === 'serial') {
    for (let i = 0; i < n; i++) await op(i);
  } else {
    let next = 0;
    const lane = async () => { while (next < n) await op(next++); };
    await Promise.all(Array.from({ length: LANES }, lane));
  }
  return performance.now() - t0;
}

async function main() {
  let ms;
  if (kind === 'timer') {
    ms = await runAll(() => sleep(20));
  } else if (kind === 'http') {
    const server = http.createServer((req, res) => setTimeout(() => res.end('ok'), 15));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new http.Agent({ keepAlive: true, maxSockets: LANES });
    const url = `http://127.0.0.1:${server.address().port}/`;
    const get = () => new Promise((resolve, reject) => {
      http.get(url, { agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
    });
    ms = await runAll(get);
    agent.destroy();
    server.close();
  } else if (kind === 'fs') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'looptrace-savings-'));
    const files = Array.from({ length: n }, (_, i) => path.join(dir, `f${i}`));
    for (const f of files) fs.writeFileSync(f, Buffer.alloc(4 << 20, 1));
    try {
      ms = await runAll((i) => fsp.readFile(files[i]));
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  } else if (kind === 'child') {
    const run = () => new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', ''], (err) => (err ? reject(err) : resolve()));
    });
    ms = await runAll(run);
  } else {
    throw new Error(`unknown KIND ${kind}`);
  }
  console.log(JSON.stringify({ ms }));
}

main();
