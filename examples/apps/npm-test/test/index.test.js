'use strict';
const test = require('node:test');
const assert = require('node:assert');
const lib = require('../src/index');

test('exports the whole library', () => {
  for (const name of ['slugify', 'toCents', 'parse', 'addDays', 'validate', 'retry', 'createQueue',
    'hashPassword', 'priceBasket', 'TtlCache', 'loadConfig']) {
    assert.strictEqual(typeof lib[name], 'function', name);
  }
});
