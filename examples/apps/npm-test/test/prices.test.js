'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { setTimeout: sleep } = require('node:timers/promises');
const { priceBasket } = require('../src/prices');

// The price service's client, with its real latency.
const source = { async price(sku) { await sleep(20); return sku.length * 100; } };

test('sums the basket', async () => {
  assert.strictEqual(await priceBasket(['tea', 'milk', 'bread', 'eggs', 'jam', 'rice', 'oats', 'figs'], source), 3100);
});
test('an empty basket costs nothing', async () => assert.strictEqual(await priceBasket([], source), 0));
