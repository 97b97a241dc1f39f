'use strict';
// Drives the document API like a short load test: boots it (avvio), listens
// on a loopback port, sends a fixed set of requests all at once (one await,
// no loop of awaits), then closes and exits by itself, or, with APP_STAY=1,
// keeps serving until it is stopped (looptrace record --duration N).
const http = require('node:http');
const { build } = require('./app');

function request(base, method, path, token) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers: token ? { authorization: token } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });
}

// A service logs failed promises nobody handled instead of crashing.
process.on('unhandledRejection', (err) => console.error(`fastify-service: unhandled rejection: ${err.message}`));

async function main() {
  const app = build();
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const calls = [];
  for (let i = 0; i < 4; i++) calls.push(request(base, 'GET', '/stats', 'token-ada'));
  for (let i = 0; i < 3; i++) calls.push(request(base, 'GET', '/bundle?ids=doc-1,doc-2,doc-3,doc-4,doc-5,doc-6,doc-7,doc-8', 'token-bob'));
  for (let i = 0; i < 4; i++) calls.push(request(base, 'POST', '/sessions', 'token-ada'));
  for (let i = 0; i < 4; i++) calls.push(request(base, 'GET', `/docs/doc-${i}`, 'token-bob'));
  calls.push(request(base, 'GET', '/health'));
  calls.push(request(base, 'GET', '/docs/doc-9')); // no token: 401
  const statuses = await Promise.all(calls);
  console.log(`fastify-service: ${statuses.length} requests, statuses ${[...new Set(statuses)].sort().join(',')}`);
  if (process.env.APP_STAY === '1') return; // serve until stopped
  await app.close();
  console.log('fastify-service: closed');
}

main();
