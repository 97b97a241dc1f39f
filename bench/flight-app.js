'use strict';
// A loaded service for bench/flight.sh: the express or fastify app of
// examples/apps (argv[2]) on a loopback port (printed on the first line),
// serving until SIGINT/SIGTERM, with one planted lag spike: a 300 ms
// synchronous stretch in a request FLIGHT_SPIKE_AT seconds after the start
// (0: none), the spike the flight recorder should dump.
const path = require('node:path');

const which = process.argv[2] || 'express';
const spikeAt = Number(process.env.FLIGHT_SPIKE_AT || 0) * 1000;
const started = Date.now();
let spiked = false;

function spikeDue() {
  if (spiked || !spikeAt || Date.now() - started < spikeAt) return false;
  spiked = true;
  return true;
}

function plantedSpike() {
  const until = Date.now() + 300;
  while (Date.now() < until) {} // the planted lag spike
}

async function main() {
  const apps = path.join(__dirname, '..', 'examples', 'apps');
  let close;
  if (which === 'fastify') {
    const { build } = require(path.join(apps, 'fastify-service', 'app'));
    const app = build();
    app.addHook('onRequest', async () => { if (spikeDue()) plantedSpike(); });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    console.log(new URL(base).port);
    close = () => app.close();
  } else {
    const { start } = require(path.join(apps, 'express-service', 'app'));
    const { server, stop } = await start();
    server.prependListener('request', () => { if (spikeDue()) plantedSpike(); });
    console.log(server.address().port);
    close = stop;
  }
  const end = () => close().then(() => process.exit(0));
  process.once('SIGINT', end);
  process.once('SIGTERM', end);
}

main();
