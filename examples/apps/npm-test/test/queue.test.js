'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { setTimeout: sleep } = require('node:timers/promises');
const { createQueue } = require('../src/queue');

test('never runs more than the limit', async () => {
  const queue = createQueue(2);
  let peak = 0;
  const job = async () => { peak = Math.max(peak, queue.active); await sleep(5); };
  await Promise.all(Array.from({ length: 8 }, () => queue.push(job)));
  assert.strictEqual(peak, 2);
});
test('passes results and errors through', async () => {
  const queue = createQueue(1);
  assert.strictEqual(await queue.push(async () => 42), 42);
  await assert.rejects(queue.push(async () => { throw new Error('boom'); }), /boom/);
});
