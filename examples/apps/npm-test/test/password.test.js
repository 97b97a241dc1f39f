'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { hashPassword, verifyPassword } = require('../src/password');

test('hashes deterministically per salt', async () => {
  const a = await hashPassword('correct horse', 'salt-1');
  assert.strictEqual(a.length, 64);
  assert.notStrictEqual(a, await hashPassword('correct horse', 'salt-2'));
});
test('verifies the right password only', async () => {
  const stored = await hashPassword('battery staple', 'salt-3');
  assert.ok(await verifyPassword('battery staple', 'salt-3', stored));
  assert.ok(!(await verifyPassword('battery stapler', 'salt-3', stored)));
});
