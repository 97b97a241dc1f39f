'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { toCents, format, split } = require('../src/money');

test('parses amounts', () => {
  assert.strictEqual(toCents('12.5'), 1250);
  assert.strictEqual(toCents('-0.07'), -7);
  assert.throws(() => toCents('1.234'), RangeError);
});
test('formats cents', () => assert.strictEqual(format(-1205), '-12.05'));
test('splits without losing a cent', () => {
  const parts = split(1000, 3);
  assert.deepStrictEqual(parts, [334, 333, 333]);
  assert.strictEqual(parts.reduce((a, b) => a + b), 1000);
});
