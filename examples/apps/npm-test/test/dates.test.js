'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { addDays, isWeekend, businessDaysBetween } = require('../src/dates');

test('adds days across a month end', () => {
  assert.strictEqual(addDays(new Date('2026-01-30T00:00:00Z'), 3).toISOString(), '2026-02-02T00:00:00.000Z');
});
test('knows weekends', () => assert.ok(isWeekend(new Date('2026-12-05T12:00:00Z'))));
test('counts business days', () => {
  assert.strictEqual(businessDaysBetween(new Date('2026-11-30T00:00:00Z'), new Date('2026-12-14T00:00:00Z')), 10);
});
