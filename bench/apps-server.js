'use strict';
// The service bench/overhead-apps.sh loads: an express 5 or fastify 5 app
// (argv[2], default express; the pinned packages of examples/apps) on a
// loopback port (argv[3], default 0: any; printed on the first stdout line),
// serving until SIGINT/SIGTERM.  GET /item/:id goes through async
// middleware the way a typical service does, 8 awaits per request:
//   session lookup (2: an async cache in front of an async store),
//   rate limit (1), the item (3: cache miss, store read, stock lookup),
//   pricing (1), and an audit write that waits for a turn of the loop
//   (1, setImmediate, like a write to a socket).
// Answers a small JSON object.
const path = require('node:path');

const which = process.argv[2] || 'express';
const port = Number(process.argv[3] || 0);
const apps = path.join(__dirname, '..', 'examples', 'apps');
const need = (name) => require(require.resolve(name, { paths: [path.join(apps, `${which}-service`), apps] }));

// --- the "services" the middleware awaits --------------------------------------
const sessions = new Map([['token-ada', 'ada']]);
const items = new Map();
for (let i = 0; i < 100; i++) items.set(String(i), { id: i, name: `item-${i}`, price: 100 + i, stock: i % 7 });
const limits = new Map();

async function storeGet(map, key) { return map.get(key); }
async function cachedSession(token) { return (await storeGet(sessions, token)) || 'guest'; }
async function session(token) { return cachedSession(token); }
async function rateLimit(user) {
  const n = (limits.get(user) || 0) + 1;
  limits.set(user, n % 1000000);
  return n;
}
async function loadItem(id) {
  const cached = await storeGet(new Map(), id); // always a miss
  if (cached) return cached;
  const item = await storeGet(items, id);
  const stock = await storeGet(items, String((Number(id) + 1) % 100));
  return item && { ...item, related: stock ? stock.id : null };
}
async function price(item) { return Math.round(item.price * 1.2); }
const audit = () => new Promise((resolve) => setImmediate(resolve));

async function main() {
  let close;
  if (which === 'fastify') {
    const fastify = need('fastify');
    const app = fastify({ logger: false });
    app.addHook('onRequest', async (req) => { req.user = await session(req.headers.authorization || ''); });
    app.addHook('preHandler', async (req) => { await rateLimit(req.user); });
    app.get('/item/:id', async (req, reply) => {
      const item = await loadItem(req.params.id);
      if (!item) { reply.code(404); return { error: 'no such item' }; }
      const total = await price(item);
      await audit();
      return { user: req.user, item: item.name, related: item.related, total };
    });
    const base = await app.listen({ port, host: '127.0.0.1' });
    console.log(new URL(base).port);
    close = () => app.close();
  } else if (which === 'express') {
    const express = need('express');
    const app = express();
    app.use(async (req, res, next) => { req.user = await session(req.get('authorization') || ''); next(); });
    app.use(async (req, res, next) => { await rateLimit(req.user); next(); });
    app.get('/item/:id', async (req, res) => {
      const item = await loadItem(req.params.id);
      if (!item) { res.status(404).json({ error: 'no such item' }); return; }
      const total = await price(item);
      await audit();
      res.json({ user: req.user, item: item.name, related: item.related, total });
    });
    const server = await new Promise((resolve) => { const s = app.listen(port, '127.0.0.1', () => resolve(s)); });
    console.log(server.address().port);
    close = () => new Promise((done) => { server.close(done); server.closeAllConnections(); });
  } else {
    console.error(`apps-server.js: unknown app '${which}' (express or fastify)`);
    process.exit(2);
  }
  const end = () => close().then(() => process.exit(0));
  process.once('SIGINT', end);
  process.once('SIGTERM', end);
}

main();
