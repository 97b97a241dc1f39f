'use strict';
// DEFECT (sequential-await): fetchProfiles() asks a local HTTP service for
// six user profiles, one request at a time (await inside a for loop). The
// service needs 25 ms per request, so the loop waits ~150 ms in total, while
// six concurrent requests would be answered in ~25 ms.
// Why it is a defect: the requests are independent; the await in the loop
// serialises network round trips.
// Fix: await Promise.all(ids.map((id) => getJSON(port, `/users/${id}`))), or
// a bounded pool when there are many (see negative/bounded-pool-http.js).
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

async function fetchProfiles(port, ids) {
  const profiles = [];
  for (const id of ids) {
    profiles.push(await getJSON(port, `/users/${id}`));
  }
  return profiles;
}

// The service: answers each request after 25 ms (a slow backend).
const server = http.createServer((req, res) => {
  setTimeout(() => res.end(JSON.stringify({ path: req.url })), 25);
});
server.listen(0, '127.0.0.1', async () => {
  const profiles = await fetchProfiles(server.address().port, [1, 2, 3, 4, 5, 6]);
  console.log(`fetched ${profiles.length} profiles`);
  server.close();
});
