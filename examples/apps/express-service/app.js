'use strict';
// A small shop API on express 5: an async auth middleware, a catalog
// summary, a login that hashes the password, a cart priced by an inventory
// service (a route of the same app with 20 ms of latency, called over HTTP
// like a real upstream) and orders that notify an audit service.
//
// APP_DEFECT turns one planted defect on (the marked lines); without it the
// same routes do the right thing.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { promisify } = require('node:util');
const { setTimeout: sleep } = require('node:timers/promises');
const axios = require('axios');
const express = require('express');

const defect = process.env.APP_DEFECT || '';
const GENERATED = path.join(__dirname, '..', 'generated');
const pbkdf2 = promisify(crypto.pbkdf2);
const USERS = new Map([['token-ada', { name: 'ada' }], ['token-bob', { name: 'bob' }]]);
const SALT = Buffer.from('looptrace-apps-salt');
const metrics = { requests: 0, flushed: 0 };
// Paths the internal services (inventory, audit) and probes reach without a token.
const PUBLIC = ['/health', '/inventory/', '/audit/'];

async function authenticate(req, res, next) {
  await sleep(1); // a session store lookup
  req.user = USERS.get(req.get('authorization') || '') || null;
  if (!req.user && !PUBLIC.some((prefix) => req.path.startsWith(prefix))) {
    res.status(401).json({ error: 'unauthorized' });
    return;
  }
  metrics.requests++;
  next();
}

async function catalogSummary(req, res) {
  let items;
  if (defect === 'blocking') {
    // Loads the whole 8 MB catalog on every request, synchronously.
    items = JSON.parse(fs.readFileSync(path.join(GENERATED, 'catalog.json'), 'utf8')).items; // looptrace-expect(blocking): blocking-task warning
  } else {
    items = JSON.parse(await fs.promises.readFile(path.join(GENERATED, 'catalog-page-1.json'), 'utf8')).items;
  }
  const value = items.reduce((sum, item) => sum + item.price * item.stock, 0);
  res.json({ items: items.length, value: Math.round(value) });
}

async function login(req, res) {
  const password = String(req.body.password || '');
  let hash;
  if (defect === 'blocking') {
    hash = crypto.pbkdf2Sync(password, SALT, 400000, 64, 'sha512'); // looptrace-expect(blocking): blocking-task warning
  } else {
    hash = await pbkdf2(password, SALT, 400000, 64, 'sha512');
  }
  res.json({ user: req.user.name, digest: hash.toString('hex').slice(0, 16) });
}

async function priceCart(req, res) {
  const inventory = `${req.app.locals.base}/inventory/price`;
  const skus = String(req.query.skus || '').split(',').filter(Boolean);
  const prices = [];
  if (defect === 'sequential') {
    for (const sku of skus) {
      const { data } = await axios.get(`${inventory}/${sku}`); // looptrace-expect(sequential): sequential-await warning
      prices.push(data.price);
    }
  } else {
    const answers = await Promise.all(skus.map((sku) => axios.get(`${inventory}/${sku}`)));
    for (const { data } of answers) prices.push(data.price);
  }
  res.json({ skus: skus.length, total: prices.reduce((a, b) => a + b, 0) });
}

async function inventoryPrice(req, res) {
  await sleep(20);
  const sku = req.params.sku;
  res.json({ sku, price: 100 + (sku.charCodeAt(sku.length - 1) % 50) });
}

function placeOrder(req, res) {
  const order = { id: crypto.randomUUID(), user: req.user.name, lines: req.body.lines || [] };
  res.status(201).json(order);
  // Tell the audit service; it is not deployed here, so the call gets a 404.
  const audit = `${req.app.locals.base}/audit/orders`;
  if (defect === 'rejection') {
    axios.post(audit, order).then(() => { metrics.audited = (metrics.audited || 0) + 1; }); // looptrace-expect(rejection): unhandled-rejection error
  } else {
    axios.post(audit, order).then(() => { metrics.audited = (metrics.audited || 0) + 1; })
      .catch((err) => { metrics.auditFailures = (metrics.auditFailures || 0) + (err.response ? 1 : 0); });
  }
}

function flushMetrics() {
  metrics.flushed++;
}

function createApp() {
  const app = express();
  app.use(express.json());
  app.use(authenticate);
  app.get('/health', (req, res) => res.json({ ok: true }));
  app.get('/catalog/summary', catalogSummary);
  app.post('/login', login);
  app.get('/cart', priceCart);
  app.get('/inventory/price/:sku', inventoryPrice);
  app.post('/orders', placeOrder);
  return app;
}

// Starts the app on a loopback port; resolves to {server, base, stop}.
function start() {
  const app = createApp();
  const flusher = setInterval(flushMetrics, 200); // looptrace-expect(leak): leaked-handle warning
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      const base = `http://127.0.0.1:${server.address().port}`;
      app.locals.base = base;
      const stop = () => new Promise((done) => {
        if (defect !== 'leak') clearInterval(flusher);
        server.close(done);
        server.closeAllConnections();
      });
      resolve({ server, base, stop, metrics });
    });
  });
}

module.exports = { start };
