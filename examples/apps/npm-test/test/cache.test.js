'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { TtlCache } = require('../src/cache');

test('expires entries after the TTL', (t) => {
  const cache = new TtlCache({ ttlMs: 100 });
  t.after(() => cache.close());
  cache.set('a', 1, 1000);
  assert.strictEqual(cache.get('a', 1050), 1);
  assert.strictEqual(cache.get('a', 1100), undefined);
});
test('prunes expired entries', (t) => {
  const cache = new TtlCache({ ttlMs: 10 });
  t.after(() => cache.close());
  cache.set('a', 1, 0);
  cache.set('b', 2, 100);
  cache.prune(50);
  assert.deepStrictEqual([...cache.entries.keys()], ['b']);
});
test('journals what it stores', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-test-cache-'));
  const cache = new TtlCache({ journalDir: path.join(dir, 'journal') }); // the journal folder is not created
  t.after(() => { cache.close(); fs.rmSync(dir, { recursive: true, force: true }); });
  cache.set('k', 'v');
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.strictEqual(cache.get('k'), 'v');
});
