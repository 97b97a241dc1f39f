'use strict';
// A document API on fastify 5: an async store plugin, an auth plugin with an
// async onRequest hook, an audit onResponse hook and routes in their own
// plugin, all booted by avvio.
//
// APP_DEFECT turns one planted defect on (the marked lines); without it the
// same routes do the right thing.
const fastify = require('fastify');
const { setTimeout: sleep } = require('node:timers/promises');
const { storePlugin } = require('./store');

const defect = process.env.APP_DEFECT || '';
const TOKENS = new Map([['token-ada', 'ada'], ['token-bob', 'bob']]);

async function authPlugin(app) {
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (request, reply) => {
    await sleep(1); // a session lookup
    request.user = TOKENS.get(request.headers.authorization || '') || null;
    if (!request.user && request.url !== '/health') {
      reply.code(401).send({ error: 'unauthorized' });
    }
  });
}
authPlugin[Symbol.for('skip-override')] = true;

function countPrimes(limit) {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) { prime = false; break; }
    }
    if (prime) count++;
  }
  return count;
}

async function routes(app) {
  app.get('/health', async () => ({ ok: true }));

  app.get('/docs/:id', async (request) => {
    const doc = await app.store.get(request.params.id);
    return doc || { error: 'not found' };
  });

  app.get('/bundle', async (request) => {
    const ids = String(request.query.ids || '').split(',').filter(Boolean);
    let docs;
    if (defect === 'sequential') {
      docs = [];
      for (const id of ids) {
        docs.push(await app.store.get(id)); // looptrace-expect(sequential): sequential-await warning
      }
    } else {
      docs = await Promise.all(ids.map((id) => app.store.get(id)));
    }
    return { count: docs.length, words: docs.reduce((sum, d) => sum + (d ? d.words : 0), 0) };
  });

  app.get('/stats', async (request) => {
    const limit = defect === 'blocking' ? 1200000 : 20000;
    // The blocking variant counts primes up to 1.2 million inline, on the loop.
    const primes = countPrimes(limit); // looptrace-expect(blocking): blocking-task warning
    return { user: request.user, primes };
  });

  app.post('/sessions', async (request) => {
    const session = { user: request.user, started: Date.now(), beats: 0 };
    if (defect === 'leak') {
      // A heartbeat per session, never cleared: one more interval per request.
      setInterval(() => { session.beats++; }, 1000); // looptrace-expect(leak): leaked-handle warning
    }
    return { ok: true };
  });
}

async function auditPlugin(app) {
  app.addHook('onResponse', async (request, reply) => {
    const event = { type: `${request.method} ${request.routeOptions.url}`, user: request.user, status: reply.statusCode };
    if (defect === 'rejection') {
      // Fire and forget: an event without a user (the 401s) rejects, unhandled.
      app.store.audit(event).then(() => { app.audited = (app.audited || 0) + 1; }); // looptrace-expect(rejection): unhandled-rejection error
    } else {
      app.store.audit(event).then(() => { app.audited = (app.audited || 0) + 1; }, () => { app.auditFailures = (app.auditFailures || 0) + 1; });
    }
  });
}
auditPlugin[Symbol.for('skip-override')] = true;

function build() {
  const app = fastify({ logger: false, pluginTimeout: 5000 });
  app.decorate('audited', 0);
  app.decorate('auditFailures', 0);
  app.register(storePlugin);
  app.register(authPlugin);
  app.register(auditPlugin);
  app.register(routes);
  return app;
}

module.exports = { build };
