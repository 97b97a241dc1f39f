'use strict';
// A fake document store with the latency of a real one (each call answers
// after 20 ms), registered as a fastify plugin: `app.store`.
const { setTimeout: sleep } = require('node:timers/promises');

const DOCS = new Map();
for (let i = 0; i < 50; i++) DOCS.set(`doc-${i}`, { id: `doc-${i}`, title: `Document ${i}`, words: 100 + i * 7 });

function createStore() {
  return {
    async get(id) {
      await sleep(20);
      return DOCS.get(id) || null;
    },
    async audit(event) {
      await sleep(5);
      if (!event.user) throw new Error(`audit: event ${event.type} has no user`);
      return true;
    },
  };
}

// An async plugin: avvio waits for it (with its plugin timeout timer) before
// the server is ready.
async function storePlugin(app) {
  await sleep(10); // "connecting"
  app.decorate('store', createStore());
  app.addHook('onClose', async () => { await sleep(1); });
}
storePlugin[Symbol.for('skip-override')] = true;

module.exports = { storePlugin };
