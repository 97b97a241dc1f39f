'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { validate } = require('../src/validate');

test('accepts a good form', () => assert.ok(validate({ email: 'ada@example.org', name: 'Ada', age: 36 }).ok));
test('names every bad field', () => {
  const { ok, errors } = validate({ email: 'nope', name: 'A', age: 9 });
  assert.strictEqual(ok, false);
  assert.deepStrictEqual(Object.keys(errors).sort(), ['age', 'email', 'name']);
});
