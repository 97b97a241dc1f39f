'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { retry } = require('../src/retry');

test('succeeds on the third attempt', async () => {
  let calls = 0;
  const value = await retry(async (attempt) => {
    calls++;
    if (attempt < 3) throw new Error('flaky');
    return 'ok';
  });
  assert.strictEqual(value, 'ok');
  assert.strictEqual(calls, 3);
});
test('gives up with the last error', async () => {
  await assert.rejects(retry(async (attempt) => { throw new Error(`fail ${attempt}`); }, { attempts: 2 }), /fail 2/);
});
