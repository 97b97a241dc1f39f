'use strict';
// NEGATIVE (looks like sequential-await, is not): sixteen requests to a local
// service that needs 25 ms per request, fetched by a pool of four workers.
// Each worker awaits in a loop (one request at a time), but four workers run
// concurrently, so four requests are always in flight: ~100 ms instead of
// ~400 ms serially, without flooding the service.
// Why it is fine: bounded concurrency is deliberate; the waits overlap.
const http = require('http');

function getJSON(port, urlPath) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

async function fetchAll(port, ids, concurrency) {
  const results = [];
  let next = 0;
  async function worker() {
    while (next < ids.length) {
      const id = ids[next++];
      results[id - 1] = await getJSON(port, `/users/${id}`);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

const server = http.createServer((req, res) => {
  setTimeout(() => res.end(JSON.stringify({ path: req.url })), 25);
});
server.listen(0, '127.0.0.1', async () => {
  const ids = Array.from({ length: 16 }, (_, i) => i + 1);
  const profiles = await fetchAll(server.address().port, ids, 4);
  console.log(`fetched ${profiles.length} profiles`);
  server.close();
});
