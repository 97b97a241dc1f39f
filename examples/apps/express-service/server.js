'use strict';
// Drives the shop API the way a short load test would: starts it on a
// loopback port, sends a fixed set of requests all at once (one await, no
// loop of awaits), then closes everything and exits by itself, or, with
// APP_STAY=1, keeps serving until it is stopped (looptrace record
// --duration N sends SIGINT).
const axios = require('axios');
const { start } = require('./app');

const defect = process.env.APP_DEFECT || '';

async function main() {
  const { base, stop, metrics } = await start();
  const client = axios.create({ baseURL: base, validateStatus: () => true, headers: { authorization: 'token-ada' } });
  const requests = [];
  for (let i = 0; i < 4; i++) requests.push(client.get('/catalog/summary'));
  for (let i = 0; i < 2; i++) requests.push(client.post('/login', { password: `secret-${i}` }));
  for (let i = 0; i < 3; i++) requests.push(client.get('/cart', { params: { skus: 'a1,b2,c3,d4,e5,f6,g7,h8' } }));
  for (let i = 0; i < 5; i++) requests.push(client.get('/health'));
  const answers = await Promise.all(requests);
  const order = await client.post('/orders', { lines: [{ sku: 'a1', qty: 2 }] });
  const statuses = answers.map((r) => r.status).concat(order.status);
  console.log(`express-service: ${statuses.length} requests, statuses ${[...new Set(statuses)].sort().join(',')}`);
  if (process.env.APP_STAY === '1') return; // serve until stopped
  await new Promise((resolve) => setTimeout(resolve, 100)); // the audit call settles
  await stop();
  console.log(`express-service: closed after ${metrics.requests} requests`);
  // The leak variant's interval would keep the process alive forever, so its
  // author ended the program by force.
  if (defect === 'leak') process.exit(0);
}

main();
